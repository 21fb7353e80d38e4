package app

import (
	"fmt"
	"io"
	"time"

	"github.com/payterm/payterm/wallet"
)

// LedgerUpgradeNotice says on w (main gives stderr, before the terminal UI takes the screen)
// that the ledger is being upgraded to this version's schema, and when it is done: the first
// start after an upgrade may rewrite every payment, seconds at 100,000 payments, and a blank
// terminal for that long looks like a hang. Only numbers are written, nothing from the ledger.
func LedgerUpgradeNotice(w io.Writer) func(wallet.LedgerUpgrade) {
	return func(u wallet.LedgerUpgrade) {
		if u.Done {
			fmt.Fprintf(w, "Payment ledger upgraded in %s.\n", u.Took.Round(100*time.Millisecond))
			return
		}
		fmt.Fprintf(w, "Upgrading the payment ledger (%s %s) to this version of payterm; this happens once and may take a while…\n",
			groupThousands(u.Payments), plural(u.Payments, "payment", "payments"))
	}
}

// groupThousands writes n with a comma every three digits (100,000).
func groupThousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s // a count is never negative
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
