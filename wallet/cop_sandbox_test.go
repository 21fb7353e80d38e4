package wallet

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/sandbox"
)

// TestSandboxPayeeCheckThenPay runs Confirmation of Payee end to end against the strict
// embedded bank (rule 41 on): the lfi client's discovery and confirmation, the provider's
// mapping, the wallet's stored answer, and the payment carrying the bank's own JWS. A payee the
// wallet never checked is refused by the bank.
func TestSandboxPayeeCheckThenPay(t *testing.T) {
	b := newBankEnvWith(t, sandbox.Config{AutoApprove: true, SettleAfter: 100 * time.Millisecond,
		CreditAfter: 200 * time.Millisecond, SCAMaxAge: 10 * time.Minute})
	e := newWalletEnv(t, b, Limits{})
	c := e.onboard(t, 0, "")
	ctx := context.Background()
	payTo := func(name, iban string) (Payment, error) {
		pp, err := e.wallet.Prepare(ctx, Draft{ConsentID: c.ID, Amount: "3", NewPayee: &PayeeInput{Name: name, IBAN: iban}})
		if err != nil {
			return Payment{}, err
		}
		return e.wallet.Submit(ctx, pp.ID, testPIN, e.scaClock.nextCode(t, e.totp), nil)
	}

	// Never checked: the wallet refuses it before anything is sent (the strict bank would too:
	// sandbox.TestRule41PaymentToUnconfirmedCreditor).
	if _, err := payTo("Fatima Al Mansoori", "AE460090000000123456789"); !errors.Is(err, ErrPayeeNotChecked) {
		t.Fatalf("an unchecked payee: %v", err)
	}

	// A match: accepted as it comes, paid, and not asked again.
	chk, err := e.wallet.CheckPayee(ctx, c.ID, PayeeInput{Name: "Fatima Al Mansoori", IBAN: "AE46 0090 0000 0012 3456 789"})
	if err != nil || chk.Answer != provider.PayeeMatch || !chk.Accepted || chk.Evidence == "" {
		t.Fatalf("check: %+v %v\n%s", chk, err, verdicts(b))
	}
	p, err := payTo("Fatima Al Mansoori", "AE460090000000123456789")
	if err != nil || p.Status.Outcome() == OutcomeFailed {
		t.Fatalf("confirmed payee: %v %s\n%s", err, p.Status, verdicts(b))
	}

	// A close match: the bank's name comes back; the payer accepts it and pays.
	chk, err = e.wallet.CheckPayee(ctx, c.ID, PayeeInput{Name: "Fatima Al Mansouri", IBAN: "AE460090000000123456789"})
	if err != nil || chk.Answer != provider.PayeeCloseMatch || chk.BankName != "Fatima Al Mansoori" || chk.Accepted {
		t.Fatalf("close: %+v %v", chk, err)
	}
	if err := e.wallet.AcceptPayee(ctx, c.ID, PayeeInput{Name: "Fatima Al Mansouri", IBAN: "AE460090000000123456789"}, false); err != nil {
		t.Fatal(err)
	}
	if p, err := payTo("Fatima Al Mansouri", "AE460090000000123456789"); err != nil || p.Status.Outcome() == OutcomeFailed {
		t.Fatalf("accepted close match: %v %s\n%s", err, p.Status, verdicts(b))
	}

	// Not found, opted out, unavailable.
	if chk, err := e.wallet.CheckPayee(ctx, c.ID, PayeeInput{Name: "Anyone", IBAN: ibanFor("033", "0000000000001234")}); err != nil || chk.Answer != provider.PayeeNotFound {
		t.Errorf("not found: %+v %v", chk, err)
	}
	if chk, err := e.wallet.CheckPayee(ctx, c.ID, PayeeInput{Name: "Omar Haddad", IBAN: "AE620260001015678901234"}); err != nil || chk.Answer != provider.PayeeOptedOut {
		t.Errorf("opted out: %+v %v", chk, err)
	}
	// The payer continues knowingly: paid without an answer to carry (the bank knows this
	// client asked).
	if err := e.wallet.AcceptPayee(ctx, c.ID, PayeeInput{Name: "Omar Haddad", IBAN: "AE620260001015678901234"}, false); err != nil {
		t.Fatal(err)
	}
	if p, err := payTo("Omar Haddad", "AE620260001015678901234"); err != nil || p.Status.Outcome() == OutcomeFailed {
		t.Fatalf("an opted-out holder the payer accepted: %v %s\n%s", err, p.Status, verdicts(b))
	}
	b.bank.InjectFault(sandbox.Fault{Kind: sandbox.FaultServerError, Count: 10})
	chk, err = e.wallet.CheckPayee(ctx, c.ID, PayeeInput{Name: "John Smith", IBAN: "AE460090000000123456789"})
	b.bank.ClearFaults()
	if err != nil || chk.Answer != provider.PayeeUnavailable {
		t.Errorf("unavailable: %+v %v", chk, err)
	}
}
