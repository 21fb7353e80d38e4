package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// authenticator is the audience's phone: it holds the TOTP key read off the enrolment screen
// and produces codes the way an authenticator app does (RFC 6238, SHA-1, 30 s, 6 digits).
type authenticator struct {
	key      string
	lastStep int64 // the last 30-second step whose code the wallet accepted
	now      func() time.Time
}

var keyLine = regexp.MustCompile(`(?m)^\s*Key\s+([A-Z2-7 ]+)$`)

// keyFromScreen reads the base32 key the enrolment step shows ("Key  ABCD EFGH ...").
func keyFromScreen(screen string) (string, error) {
	m := keyLine.FindStringSubmatch(screen)
	if m == nil {
		return "", errors.New("no TOTP key on the enrolment screen")
	}
	key := strings.ReplaceAll(m[1], " ", "")
	if len(key) < 16 {
		return "", fmt.Errorf("the TOTP key on screen is too short (%d characters)", len(key))
	}
	return key, nil
}

// nextCode returns a code for a step the wallet has not accepted yet. The wallet accepts a code
// once (replay protection) from the current step or one either side, so after a code of the
// current step was used the next step's code is valid at once; only when that one was used
// too does the demo wait for the clock.
func (a *authenticator) nextCode(ctx context.Context) (string, error) {
	for {
		now := a.now()
		cur := now.Unix() / 30
		step := max(a.lastStep+1, cur)
		// A code with under 4 s left might expire between typing and checking.
		if step == cur && 30-now.Unix()%30 < 4 {
			step = cur + 1
		}
		if step <= cur+1 && step > a.lastStep {
			code, err := totp.GenerateCodeCustom(a.key, time.Unix(step*30, 0), totp.ValidateOpts{
				Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
			})
			if err != nil {
				return "", fmt.Errorf("compute the TOTP code: %w", err)
			}
			a.lastStep = step
			return code, nil
		}
		select {
		case <-ctx.Done():
			return "", errStopped
		case <-time.After(time.Second):
		}
	}
}
