package totpkey

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/payterm/payterm/internal/ctxsleep"
)

// TOTP parameters payterm enrols with (RFC 6238 defaults every authenticator app uses).
const period = 30 // seconds a step lasts

const (
	// minLeft: a code of the current step with less time left might expire between typing and
	// the wallet checking it, so the next step's code is used instead.
	minLeft = 4 * time.Second
	// wakeAfter: a wait for a new step ends this long after the step begins, so the code is not
	// computed a hair before the boundary on a clock that reads slightly early.
	wakeAfter = 300 * time.Millisecond
)

// CodeFunc computes the code of key for the step holding at.
type CodeFunc func(key string, at time.Time) (string, error)

// Options inject what a Source depends on; nil fields take the real thing.
type Options struct {
	Now   func() time.Time                                 // nil = time.Now
	Sleep func(ctx context.Context, d time.Duration) error // nil = a timer that honours ctx
	Code  CodeFunc                                         // nil = RFC 6238, SHA-1, 30 s, 6 digits (pquerna/otp)
}

// Source hands out TOTP codes the way a user with an authenticator app does, for a wallet that
// accepts each step's code once (replay protection) from the current step or one either side.
// It is not safe for concurrent use.
type Source struct {
	key      string
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
	code     CodeFunc
	lastStep int64 // the last step a code was handed out for
}

// NewSource returns a Source for a base32 key (as FromScreen returns it).
func NewSource(key string, o Options) (*Source, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	s := &Source{key: key, now: o.Now, sleep: o.Sleep, code: o.Code, lastStep: -1}
	if s.now == nil {
		s.now = time.Now
	}
	if s.sleep == nil {
		s.sleep = ctxsleep.For
	}
	if s.code == nil {
		s.code = RFC6238
	}
	return s, nil
}

// Next returns a code for a step no code was handed out for before: the current step, or the
// next one when the current was used or is about to end (the wallet accepts one step ahead).
// When both were used it waits for the clock, and gives up with ctx's error when ctx ends.
func (s *Source) Next(ctx context.Context) (string, error) {
	for {
		now := s.now()
		cur := now.Unix() / period
		step := max(s.lastStep+1, cur)
		if step == cur && time.Unix((cur+1)*period, 0).Sub(now) < minLeft {
			step = cur + 1
		}
		if step <= cur+1 {
			code, err := s.code(s.key, time.Unix(step*period, 0))
			if err != nil {
				return "", fmt.Errorf("compute the TOTP code: %w", err)
			}
			s.lastStep = step
			return code, nil
		}
		// step is two ahead: it becomes usable when step-1 is the current step.
		wait := time.Unix((step-1)*period, 0).Sub(now) + wakeAfter
		if err := s.sleep(ctx, wait); err != nil {
			return "", fmt.Errorf("wait for the next TOTP step: %w", err)
		}
	}
}

// String keeps the key out of logs and error messages.
func (s *Source) String() string { return "totpkey.Source{key: [redacted]}" }

// LogValue keeps the key out of structured logs.
func (s *Source) LogValue() slog.Value { return slog.StringValue(s.String()) }

// RFC6238 is the code payterm's wallet expects: SHA-1, 30-second steps, 6 digits.
func RFC6238(key string, at time.Time) (string, error) {
	return totp.GenerateCodeCustom(key, at, totp.ValidateOpts{Period: period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}
