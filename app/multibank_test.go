package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/sandbox"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// twoBankConfig is testConfig with a second embedded bank, written as a user would.
func twoBankConfig(t *testing.T) config.Config {
	t.Helper()
	cfg := testConfig(t)
	extra := "[[banks]]\nid = \"second\"\nname = \"Second Sandbox Bank\"\ndefault_purpose_code = \"EDU\"\n"
	if err := config.Parse([]byte(extra), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newConsentAt authorises an open consent at bankID through the wizard's calls.
func newConsentAt(t *testing.T, w ui.Wallet, bankID string) ui.Consent {
	t.Helper()
	ctx := context.Background()
	if err := w.SaveBeneficiaries(ctx, ui.BeneficiaryPlan{Bank: bankID, Model: ui.BeneficiaryOpen}); err != nil {
		t.Fatal(err)
	}
	step, err := w.BeginBankStep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	browse(t, step.URL)
	c, err := w.AwaitBankCallback(ctx, step)
	if err != nil {
		t.Fatalf("consent at %s: %v", bankID, err)
	}
	return c
}

// payOpen pays amount from an open consent to a new payee and returns the final event.
func payOpen(t *testing.T, w ui.Wallet, bank *sandbox.Bank, clock *scaClock, secret, consentID, amount string) ui.PaymentEvent {
	t.Helper()
	payee := ui.PayeeDraft{Name: "Second Payee", IBAN: ibanFor("033", "0000000000007777")}
	confirmPayee(t, w, bank, consentID, payee)
	pp, err := w.PreparePayment(context.Background(), ui.PaymentDraft{ConsentID: consentID, NewPayee: payee, Amount: amount})
	if err != nil {
		t.Fatal(err)
	}
	return finalEvent(t, submit(t, w, pp.ID, testPIN, clock.nextCode(t, secret)))
}

// confirmPayee puts payee in the bank's Confirmation of Payee directory and checks it through
// the wallet, as the pay form does before an open consent pays someone new (a match is
// accepted as it comes; a payee accepted earlier comes back accepted).
func confirmPayee(t *testing.T, w ui.Wallet, bank *sandbox.Bank, consentID string, payee ui.PayeeDraft) {
	t.Helper()
	if err := bank.AddAccountHolder(sandbox.AccountHolder{IBAN: payee.IBAN, Name: payee.Name}); err != nil {
		t.Fatal(err)
	}
	chk, err := w.(ui.PayeeCheckService).CheckPayee(context.Background(), consentID, payee)
	if err != nil || !chk.Accepted {
		t.Fatalf("check payee %q: %+v %v", payee.Name, chk, err)
	}
}

// TestTwoBanks: a wallet with [bank] and one [[banks]] entry, each an embedded sandbox. The
// wizard offers both; a consent is authorised at the chosen bank only; each payment goes to
// its consent's bank; after a restart neither bank registers the TPP again and the second
// bank's consent still pays (its refresh token goes back to that bank).
func TestTwoBanks(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	cfg := twoBankConfig(t)
	a := openApp(t, cfg, clock)
	w := a.UIWallet()
	banks, err := w.Banks(ctx)
	if err != nil || len(banks) != 2 || banks[0].ID != config.DefaultSandboxID || banks[1].ID != "second" ||
		banks[1].Name != "Second Sandbox Bank" || !banks[1].Sandbox {
		t.Fatalf("Banks = %+v, %v", banks, err)
	}
	first, js := onboard(t, w, clock, twoPayees()[:1])
	if first.BankID != config.DefaultSandboxID || first.Bank != cfg.Bank.Name {
		t.Fatalf("the default bank's consent: bank %q (%q)", first.BankID, first.Bank)
	}

	if err := w.SaveBeneficiaries(ctx, ui.BeneficiaryPlan{Bank: "second", Model: ui.BeneficiaryOpen}); err != nil {
		t.Fatal(err)
	}
	terms, err := w.ConsentTerms(ctx)
	if err != nil || terms.Bank != "Second Sandbox Bank" || terms.Purpose.Code != "EDU" {
		t.Fatalf("terms at the second bank: %+v, %v", terms, err)
	}
	second := newConsentAt(t, w, "second")
	if second.BankID != "second" || second.Bank != "Second Sandbox Bank" {
		t.Fatalf("second consent: bank %q (%q)", second.BankID, second.Bank)
	}
	if st, err := a.SandboxOf("second").ConsentStatus(second.ID); err != nil || st != "Authorized" {
		t.Fatalf("second bank's status = %q, %v", st, err)
	}
	if _, err := a.Sandbox().ConsentStatus(second.ID); err == nil {
		t.Fatal("the first bank knows the second bank's consent")
	}

	last := payOpen(t, w, a.SandboxOf("second"), clock, js.totpSecret, second.ID, "3.00")
	if last.State != ui.StepDone || last.Receipt == nil {
		t.Fatalf("payment at the second bank: %+v", last)
	}
	if st, err := a.SandboxOf("second").PaymentStatus(last.Receipt.PaymentID); err != nil || st == "" {
		t.Fatalf("the second bank has no payment: %q, %v", st, err)
	}
	if _, err := a.Sandbox().PaymentStatus(last.Receipt.PaymentID); err == nil {
		t.Fatal("the first bank has the second bank's payment")
	}
	payees, err := w.Payees(ctx, first.ID)
	if err != nil || len(payees) != 1 {
		t.Fatalf("payees of the first consent: %+v, %v", payees, err)
	}
	if last := finalEvent(t, pay(t, w, first.ID, payees[0].ID, "4.00", clock.nextCode(t, js.totpSecret))); last.State != ui.StepDone {
		t.Fatalf("payment at the first bank: %+v", last)
	}

	// The inspector names the bank of each message: the last PAR went to the second bank, the
	// last payment to the first.
	in, err := w.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	at := map[string]string{}
	for _, st := range in.Steps {
		if st.Exchange != nil {
			at[st.Name] = st.Exchange.Bank
		}
	}
	if at["PAR"] != "Second Sandbox Bank" || at["POST /payments"] != cfg.Bank.Name {
		t.Fatalf("inspector banks: %v", at)
	}

	var p *ui.Problem
	if err := w.SaveBeneficiaries(ctx, ui.BeneficiaryPlan{Bank: "nowhere", Model: ui.BeneficiaryOpen}); !errors.As(err, &p) {
		t.Fatalf("an unknown bank id: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cfg.ResolvedDataDir(), "banks", "second", "tpp")); err != nil {
		t.Fatalf("the second bank's identity is not in its own directory: %v", err)
	}

	b := openApp(t, cfg, clock)
	defer b.Close()
	for _, bc := range b.banks {
		if bc.registered {
			t.Fatalf("bank %s registered the TPP again after a restart", bc.cfg.ID)
		}
	}
	if err := b.WaitStartup(ctx); err != nil {
		t.Fatal(err)
	}
	w = b.UIWallet()
	all, err := w.Consents(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("consents after restart: %d, %v", len(all), err)
	}
	// The restart has no access token: this payment refreshes at the second bank first.
	if last := payOpen(t, w, b.SandboxOf("second"), clock, js.totpSecret, second.ID, "5.00"); last.State != ui.StepDone {
		t.Fatalf("payment at the second bank after a restart: %+v", last)
	}
}

// TestLegacyBankNameAdopted: a one-bank payterm recorded consents under [bank]'s name; the
// next start records them under [bank]'s id so they keep paying.
func TestLegacyBankNameAdopted(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	cfg := testConfig(t)
	a := openApp(t, cfg, clock)
	c, _ := onboard(t, a.UIWallet(), clock, twoPayees()[:1])
	if n, err := a.ledger.RenameBank(ctx, config.DefaultSandboxID, cfg.Bank.Name); err != nil || n != 1 {
		t.Fatalf("making the consent look legacy: %d, %v", n, err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b := openApp(t, cfg, clock)
	defer b.Close()
	got, err := b.ledger.Consent(ctx, c.ID)
	if err != nil || got.Bank != config.DefaultSandboxID {
		t.Fatalf("legacy consent bank = %q, %v", got.Bank, err)
	}
	if err := wallet.Usable(got, clock.Now()); err != nil {
		t.Fatalf("the adopted consent cannot pay: %v", err)
	}
}

// TestResetTwoBanks: payterm reset revokes the consents at each one's own bank and names the
// bank of each in what it explains.
func TestResetTwoBanks(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	cfg := twoBankConfig(t)
	a := openApp(t, cfg, clock)
	w := a.UIWallet()
	first, _ := onboard(t, w, clock, twoPayees()[:1])
	second := newConsentAt(t, w, "second")
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := Reset(ctx, cfg, testOptions(clock), ResetConfirmation{Yes: true}, &out); err != nil {
		t.Fatalf("reset: %v\n%s", err, out.String())
	}
	for _, want := range []string{"revoke 2 payment consent", first.ID + " at payterm Sandbox Bank", second.ID + " at Second Sandbox Bank"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("reset output lacks %q:\n%s", want, out.String())
		}
	}
	b := openApp(t, cfg, clock)
	defer b.Close()
	for id, sb := range map[string]*sandbox.Bank{first.ID: b.Sandbox(), second.ID: b.SandboxOf("second")} {
		if st, err := sb.ConsentStatus(id); err != nil || st != "Revoked" {
			t.Errorf("consent %s at its bank after reset: %q, %v", id, st, err)
		}
	}
}

// TestBankLeftTheConfig: after a bank is removed from the config its consent stays listed,
// named as not configured, cannot prepare a payment, and Home's active consent is one at a
// configured bank even when the other is newer.
func TestBankLeftTheConfig(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	cfg := twoBankConfig(t)
	a := openApp(t, cfg, clock)
	first, _ := onboard(t, a.UIWallet(), clock, twoPayees()[:1])
	second := newConsentAt(t, a.UIWallet(), "second")
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	cfg.Banks = nil
	b := openApp(t, cfg, clock)
	defer b.Close()
	w := b.UIWallet()
	ov, err := w.Overview(ctx)
	if err != nil || ov.Active == nil || ov.Active.ID != first.ID {
		t.Fatalf("active consent with the second bank gone: %+v, %v", ov.Active, err)
	}
	all, err := w.Consents(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("consents: %d, %v", len(all), err)
	}
	for _, c := range all {
		if c.ID == second.ID && c.Bank != "second (not configured)" {
			t.Errorf("the second bank's consent is shown at %q", c.Bank)
		}
	}
	_, err = w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: second.ID, Amount: "1",
		NewPayee: ui.PayeeDraft{Name: "Any Payee", IBAN: ibanFor("033", "0000000000001111")}})
	var p *ui.Problem
	if !errors.As(err, &p) || !strings.Contains(p.What+p.Next, "config") {
		t.Fatalf("paying at a bank that left the config: %v", err)
	}
}
