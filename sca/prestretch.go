package sca

import (
	"crypto/subtle"
	"time"

	"github.com/payterm/payterm/keystore"
)

// Prestretch starts the PIN's argon2id in the background as soon as the PIN is typed, so its
// deliberate cost (RFC 9106: t=3, 64 MiB, p=4 — about 0.1 s on an idle 2-core machine, 0.5 s
// and more while another process keeps the CPUs busy) runs while the user reads the
// authenticator app and types the code, not after they press enter. The next Authenticate (or
// AuthenticateChange) with exactly this PIN uses the result instead of deriving it again.
//
// It weakens nothing: the KDF's costs are the device file's, unchanged; stretching checks
// nothing (no unwrap, no answer, no timing that depends on the PIN being right), so no guess is
// learnt here; Authenticate still counts and persists the attempt before the unwrap that is the
// check. The result is as secret as the PIN typed into the pay screen's field: it is kept in
// memory only, for one use, and cleared once used, replaced, or after prestretchTTL.
//
// At most one derivation runs at a time (each holds 64 MiB): a PIN typed while another is being
// stretched waits its turn, and one replaced meanwhile is never derived. A PIN of the wrong
// shape, or no enrolment, is ignored: Authenticate then reports it.
func (a *Authenticator) Prestretch(pin PIN) {
	if checkPINFormat(pin) != nil {
		return
	}
	e := &stretch{pin: []byte(pin), done: make(chan struct{})}
	a.smu.Lock()
	old := a.pre
	if old != nil && subtle.ConstantTimeCompare(old.pin, e.pin) == 1 {
		a.smu.Unlock()
		return // already stretched, or being stretched
	}
	a.pre = e
	a.smu.Unlock()
	old.discard()
	go func() {
		defer close(e.done)
		a.stretchSem <- struct{}{}
		defer func() { <-a.stretchSem }()
		a.smu.Lock()
		current := a.pre == e
		a.smu.Unlock()
		if !current {
			return // replaced or taken before its turn: nothing to derive
		}
		d, err := a.loadDevice()
		if err != nil {
			return
		}
		e.kdf, e.salt = d.KDF, d.Salt
		e.key = d.KDF.Derive(e.pin, d.Salt)
	}()
	time.AfterFunc(prestretchTTL, func() {
		a.smu.Lock()
		mine := a.pre == e
		if mine {
			a.pre = nil
		}
		a.smu.Unlock()
		if mine { // otherwise whoever took it from a.pre owns it and clears it
			e.discard()
		}
	})
}

// prestretchTTL bounds how long a stretched PIN nobody used stays in memory.
const prestretchTTL = 2 * time.Minute

// stretch is one Prestretch: the PIN it is for and, once done is closed, argon2id's output
// under the device file's salt and costs at that time (key nil when it was not derived).
type stretch struct {
	pin  []byte
	done chan struct{}
	kdf  keystore.KDFParams
	salt []byte
	key  []byte
}

// discard clears e's PIN and result once its derivation (if any) has finished, off the
// caller's goroutine. Safe on nil and more than once.
func (e *stretch) discard() {
	if e == nil {
		return
	}
	go func() {
		<-e.done
		clear(e.key)
		clear(e.pin)
	}()
}

// takeStretched returns argon2id(pin) under d's salt and costs when a Prestretch of exactly
// this PIN produced it (waiting for it to finish: it started earlier than a fresh derivation
// would), or nil. Whatever was prestretched is consumed either way: one use only. The caller
// owns and clears the result.
func (a *Authenticator) takeStretched(pin PIN, d *deviceFile) []byte {
	a.smu.Lock()
	e := a.pre
	a.pre = nil
	a.smu.Unlock()
	if e == nil {
		return nil
	}
	if subtle.ConstantTimeCompare(e.pin, []byte(pin)) != 1 {
		e.discard()
		return nil
	}
	<-e.done
	defer clear(e.pin)
	if e.key == nil || e.kdf != d.KDF || subtle.ConstantTimeCompare(e.salt, d.Salt) != 1 {
		clear(e.key) // derived for another enrolment (Reset, Recover in between)
		return nil
	}
	key := e.key
	e.key = nil
	return key
}
