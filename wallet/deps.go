package wallet

import (
	"github.com/payterm/payterm/sca"
)

// The narrow views of the other packages the wallet calls. Each bank is a provider.Bank (its
// standard behind the seam: provider/uae, …); *sca.Authenticator satisfies Authenticator.

// Authenticator performs the wallet's own SCA for one payment intent, or for one change of
// the limits (raising or removing one), with one attempt counter for both.
type Authenticator interface {
	Authenticate(in sca.Intent, pin sca.PIN, code sca.OTP) (*sca.Evidence, error)
	AuthenticateChange(c sca.Change, pin sca.PIN, code sca.OTP) (*sca.Evidence, error)
}

var _ Authenticator = (*sca.Authenticator)(nil)
