package wallet

import (
	"testing"

	"github.com/payterm/payterm/sca"
)

type stretchingSCA struct {
	Authenticator
	got []sca.PIN
}

func (s *stretchingSCA) Prestretch(pin sca.PIN) { s.got = append(s.got, pin) }

// TestPrestretchPINReachesTheSCA: the wallet hands the PIN to an SCA that can stretch it early
// and does nothing with one that cannot.
func TestPrestretchPINReachesTheSCA(t *testing.T) {
	s := &stretchingSCA{}
	(&Wallet{cfg: Config{SCA: s}}).PrestretchPIN("730461")
	if len(s.got) != 1 || s.got[0] != "730461" {
		t.Fatalf("prestretched %v, want the PIN once", s.got)
	}
	plain := struct{ Authenticator }{}
	(&Wallet{cfg: Config{SCA: plain}}).PrestretchPIN("730461") // no Prestretch: nothing happens, no panic
}

// The production SCA can stretch early.
var _ interface{ Prestretch(sca.PIN) } = (*sca.Authenticator)(nil)
