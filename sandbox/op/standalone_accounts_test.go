package op

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestStandaloneHoldsThePayerAccounts: the standalone bank given payer accounts holds them as
// the payer's (the payer-account rule and the own-account category use them) and its banner
// says how many each payer holds, not which.
func TestStandaloneHoldsThePayerAccounts(t *testing.T) {
	accounts, err := PayerAccountsOf([]string{"FI21 1234 5600 0007 85,FI9112345600000786", "matti=FI4950009420028730"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan *Bank, 1)
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		done <- RunStandalone(ctx, StandaloneOptions{DataDir: t.TempDir(), Out: &out, PayerAccounts: accounts,
			OnStart: func(b *Bank, _, _ string) { started <- b }})
	}()
	var b *Bank
	select {
	case b = <-started:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatal("did not start")
	}
	b.mu.Lock()
	own := b.ownsAccount(DefaultPayer, "FI2112345600000785") && b.ownsAccount(DefaultPayer, "FI9112345600000786") &&
		b.ownsAccount("matti", "FI4950009420028730") && !b.ownsAccount(DefaultPayer, "FI4950009420028730")
	b.mu.Unlock()
	if !own {
		t.Fatalf("the bank's payer accounts: %v", b.accounts)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	banner := out.String()
	if !strings.Contains(banner, "payer accounts:       matti holds 1 account; sandbox-user holds 2 accounts") || strings.Contains(banner, "FI21") {
		t.Fatalf("banner:\n%s", banner)
	}
}
