package app

import (
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/wallet"
)

// TestLedgerUpgradeNotice checks the two lines a start prints around a ledger upgrade: the
// number of payments, grouped, before; the time taken after.
func TestLedgerUpgradeNotice(t *testing.T) {
	var out strings.Builder
	notice := LedgerUpgradeNotice(&out)
	notice(wallet.LedgerUpgrade{From: 7, To: 9, Payments: 100_000})
	notice(wallet.LedgerUpgrade{From: 7, To: 9, Payments: 100_000, Done: true, Took: 12345 * time.Millisecond})
	notice(wallet.LedgerUpgrade{From: 8, To: 9, Payments: 1})
	want := "Upgrading the payment ledger (100,000 payments) to this version of payterm; this happens once and may take a while…\n" +
		"Payment ledger upgraded in 12.3s.\n" +
		"Upgrading the payment ledger (1 payment) to this version of payterm; this happens once and may take a while…\n"
	if out.String() != want {
		t.Errorf("notice:\n%s\nwant:\n%s", out.String(), want)
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567"} {
		if got := groupThousands(n); got != want {
			t.Errorf("groupThousands(%d) = %q, want %q", n, got, want)
		}
	}
}
