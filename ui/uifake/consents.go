// Package uifake is the fake wallet payterm's screen tests run on (ui.Wallet), exported so that

// The fake's consents: the onboarding's banks, payees and bank step, the consents list and its
// actions, and the limits.
// testers can script journeys with ui/uitest from a module of their own (see testers/ at the
// repository's root). It is the very fake the ui tests use, and it agrees with the core where a
// screen shows what the core computes (a consent's payments and totals, limits' sentences).
package uifake

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/ui"
)

func (f *FakeWallet) Banks(ctx context.Context) ([]ui.BankOption, error) {
	if err := f.gated(ctx, "Banks", &f.BanksGate, "list banks"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.banksErr != nil {
		return nil, f.banksErr
	}
	return append([]ui.BankOption(nil), f.BankOptions...), nil
}

// SetBanks replaces the configured banks.
func (f *FakeWallet) SetBanks(banks ...ui.BankOption) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.BankOptions = banks
}

// SetBanksErr sets or clears Banks' failure.
func (f *FakeWallet) SetBanksErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.banksErr = err
}

// chosenBank is the bank the last plan named ("" = the first), or false when it is not one of
// BankOptions.
func (f *FakeWallet) chosenBank() (ui.BankOption, bool) {
	for _, b := range f.BankOptions {
		if b.ID == f.bank || f.bank == "" {
			return b, true
		}
	}
	return ui.BankOption{}, false
}

func (f *FakeWallet) SaveBeneficiaries(ctx context.Context, plan ui.BeneficiaryPlan) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call(fmt.Sprintf("SaveBeneficiaries(%s,%d,bank=%s)", plan.Model, len(plan.Payees), plan.Bank))
	f.plan = plan
	f.bank = plan.Bank
	if _, ok := f.chosenBank(); !ok {
		return &ui.Problem{What: "That bank is not in payterm's configuration.", Next: "Choose another bank."}
	}
	// As the core: the bank refuses an account without its holder's name (rule 18).
	if (plan.DebtorAccount == "") != (plan.DebtorName == "") {
		return &ui.Problem{What: "Your bank needs the account holder's name with the account's IBAN.", Next: "Give both, or neither."}
	}
	f.debtor = plan.DebtorAccount
	f.payees = nil
	for i, p := range plan.Payees {
		f.payees = append(f.payees, ui.Payee{ID: fmt.Sprintf("payee-%d", i+1), Name: p.Name, IBAN: p.IBAN, Type: p.Type})
	}
	return nil
}

func (f *FakeWallet) ConsentTerms(ctx context.Context) (ui.ConsentTerms, error) {
	if err := f.gated(ctx, "ConsentTerms", &f.TermsGate, "consent terms"); err != nil {
		return ui.ConsentTerms{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.termsFails > 0 {
		f.termsFails--
		return ui.ConsentTerms{}, &ui.Problem{What: "The bank could not be reached.", Next: "Check your connection and try again."}
	}
	model := ui.BeneficiaryList
	switch len(f.payees) {
	case 0:
		model = ui.BeneficiaryOpen
	case 1:
		model = ui.BeneficiaryOne
	}
	b, _ := f.chosenBank()
	return ui.ConsentTerms{Bank: b.Name, Model: model, Payees: append([]ui.Payee(nil), f.payees...),
		Expires: FakeBase.AddDate(1, 0, -1), Purpose: ui.PurposeCode{Code: "MWP", Description: "Mobile Wallet Payments"}}, nil
}

// FakeStep is the first bank step BeginBankStep stages (golden files keep its address).
var FakeStep = ui.BankStep{ConsentID: "c0ffee00-0000-4000-8000-000000000002",
	// As long as a real one (~200 characters): it does not fit on one line of a 100-column terminal.
	URL: "https://bank.example/authorize?client_id=00000000-0000-4000-8000-00000000c11e&request_uri=" +
		"urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Abwc4JK-ESC0w8acc191e-Y1LTC2TestTestTest&response_type=code&scope=openid",
	InteractionID: "00000000-0000-4000-8000-0000000000aa",
	// As the core: the PAR's expires_in (the sandbox's 90 s); the bank sends the browser back
	// to a loopback callback.
	ExpiresAt: FakeBase.Add(90 * time.Second), CallbackHere: true}

func (f *FakeWallet) BeginBankStep(ctx context.Context) (ui.BankStep, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("BeginBankStep")
	return f.nextStep(), nil
}

// nextStep stages a consent request: as at the bank, each has its own consent and its own
// single-use address (the first is FakeStep, so golden files keep its address).
func (f *FakeWallet) nextStep() ui.BankStep {
	f.steps++
	st := FakeStep
	if f.bankURL != "" {
		st.URL = f.bankURL
	}
	st.ConsentID = f.stepID(f.steps)
	if f.steps > 1 {
		st.URL = strings.Replace(st.URL, "TestTestTest", "TestTest"+fmt.Sprintf("%04d", f.steps), 1)
	}
	st.ExpiresAt = f.Now().Add(90 * time.Second)
	st.PasteBack = f.pasteBack
	return st
}

// stepID is the consent id of the nth consent request staged.
func (f *FakeWallet) stepID(n int) string {
	if n <= 1 {
		return FakeStep.ConsentID
	}
	return FakeStep.ConsentID[:len(FakeStep.ConsentID)-4] + fmt.Sprintf("%04d", n)
}

// SetBankURL sets the address of the bank's page in the consent requests staged from now on
// (the embedded sandbox's is on this computer).
func (f *FakeWallet) SetBankURL(u string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bankURL = u
}

// SetPasteBack makes the consent requests staged from now on paste-back ones (an https
// redirect_uri with no certificate for it): nothing waits for the bank's answer.
func (f *FakeWallet) SetPasteBack(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pasteBack = on
}

// SetDeny makes the bank answer every authorisation with the user's refusal (Deny).
func (f *FakeWallet) SetDeny(deny bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deny = deny
}

func (f *FakeWallet) authorised(step ui.BankStep) ui.Consent {
	b, _ := f.chosenBank()
	c := ui.Consent{ID: step.ConsentID, Bank: b.Name, BankID: b.ID, Status: ui.ConsentAuthorized, Created: FakeBase,
		Expires: FakeBase.AddDate(1, 0, -1), Model: ui.BeneficiaryList, Creditors: f.payees}
	if f.debtor != "" {
		c.DebtorMasked = ui.MaskIBAN(f.debtor)
	}
	f.Onboarded = true
	f.consents = append([]ui.Consent{c}, f.consents...)
	f.publish(ui.Change{Kind: ui.ConsentChanged, ID: c.ID})
	return c
}

func (f *FakeWallet) AwaitBankCallback(ctx context.Context, step ui.BankStep) (ui.Consent, error) {
	f.mu.Lock()
	f.call("AwaitBankCallback")
	if a := f.approvedInBrowser; a != nil && a.ID == step.ConsentID {
		f.mu.Unlock()
		return *a, nil
	}
	ch := f.BankCallback
	if step.PasteBack {
		f.mu.Unlock()
		// As the core: nothing on this computer receives the answer.
		return ui.Consent{}, &ui.Problem{What: "payterm does not receive your bank's answer here: your browser lands on the redirect address.",
			Next: "Paste the address your browser shows after approving (v)."}
	}
	f.mu.Unlock()
	if ch != nil {
		select {
		case <-ch:
		case <-ctx.Done():
			return ui.Consent{}, fmt.Errorf("await bank callback: %w", ctx.Err())
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deny {
		return ui.Consent{}, &ui.Problem{What: "You declined the consent at the bank.", Next: "Start again when you are ready to approve it."}
	}
	return f.authorised(step), nil
}

// ApproveInBrowser approves the consent request staged last as the payer would in a browser
// the wallet did not open: its answer reaches the wallet's listener without anyone waiting
// (BankStepDone then reports it).
func (f *FakeWallet) ApproveInBrowser() {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.authorised(ui.BankStep{ConsentID: f.stepID(f.steps)})
	f.approvedInBrowser = &c
}

func (f *FakeWallet) BankStepDone(ctx context.Context, step ui.BankStep) (ui.Consent, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("BankStepDone")
	if a := f.approvedInBrowser; a != nil && a.ID == step.ConsentID {
		return *a, true, nil
	}
	return ui.Consent{}, false, nil
}

func (f *FakeWallet) CompleteBankStep(ctx context.Context, step ui.BankStep, callbackURL string) (ui.Consent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("CompleteBankStep")
	if !strings.Contains(callbackURL, "code=") {
		return ui.Consent{}, &ui.Problem{What: "That address has no authorisation code.", Next: "Paste the full address your browser shows after approving."}
	}
	return f.authorised(step), nil
}

func (f *FakeWallet) Consents(ctx context.Context) ([]ui.Consent, error) {
	if err := f.gated(ctx, "Consents", &f.ConsentsGate, "list consents"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.consentsErr != nil {
		return nil, f.consentsErr
	}
	out := make([]ui.Consent, len(f.consents))
	for i, c := range f.consents {
		out[i] = f.withPaid(c)
	}
	return out, nil
}

// SetConsentsErr sets or clears Consents' failure.
func (f *FakeWallet) SetConsentsErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.consentsErr = err
}

func (f *FakeWallet) find(id string) (*ui.Consent, error) {
	for i := range f.consents {
		if f.consents[i].ID == id {
			return &f.consents[i], nil
		}
	}
	return nil, &ui.Problem{What: "That consent no longer exists.", Next: "Refresh the list (r)."}
}

func (f *FakeWallet) ConsentDetail(ctx context.Context, id string) (ui.ConsentDetail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("ConsentDetail")
	c, err := f.find(id)
	if err != nil {
		return ui.ConsentDetail{}, err
	}
	if f.isBG(id) {
		return f.bgDetail(f.withPaid(*c)), nil
	}
	if id == fakeFTLinkID {
		return f.ftDetail(*c), nil
	}
	d := ui.ConsentDetail{Consent: f.withPaid(*c), Rules: []ui.Rule{
		{Label: "Type", Value: "Flexi Pay (delegated SCA): you approve each payment in payterm"}, // as long as the core's
		{Label: "Who you can pay", Value: plural(len(c.Creditors), "named payee", "named payees")},
		{Label: "Amounts", Value: "not fixed at the bank; your payterm limits apply"},
		{Label: "Purpose", Value: c.PurposeCode},
	}}
	// As the core: the consent's payments, newest first, up to 20, whatever its status now (a
	// revoked consent's payments were still made).
	if c.ID == fakeConsentID {
		d.Payments = append([]ui.PaymentRow(nil), f.rows[:min(20, len(f.rows))]...)
	}
	return d, nil
}

func (f *FakeWallet) setStatus(name, id string, fn func(c *ui.Consent)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call(name)
	c, err := f.find(id)
	if err != nil {
		return err
	}
	fn(c)
	f.publish(ui.Change{Kind: ui.ConsentChanged, ID: id})
	return nil
}

func (f *FakeWallet) PauseConsent(ctx context.Context, id string) error {
	return f.setStatus("PauseConsent", id, func(c *ui.Consent) { c.Paused = true })
}

func (f *FakeWallet) ReactivateConsent(ctx context.Context, id string) error {
	return f.setStatus("ReactivateConsent", id, func(c *ui.Consent) { c.Paused = false })
}

func (f *FakeWallet) RevokeConsent(ctx context.Context, id string) error {
	return f.setStatus("RevokeConsent", id, func(c *ui.Consent) { c.Status = ui.ConsentRevoked })
}

func (f *FakeWallet) RenewConsent(ctx context.Context, id string) (ui.BankStep, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("RenewConsent")
	c, err := f.find(id)
	if err != nil {
		return ui.BankStep{}, err
	}
	f.bank = c.BankID // a renewal stays at the consent's bank
	return f.nextStep(), nil
}

func (f *FakeWallet) Limits(ctx context.Context) (ui.Headroom, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("Limits")
	return f.headroom(), nil
}

// PlanLimits follows the core's rules (wallet.Limits.Validate and wallet.Raised, with the
// same sentences): see fakeCheckLimits and fakeRaised.
func (f *FakeWallet) PlanLimits(ctx context.Context, l ui.Limits) (ui.LimitPlan, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("PlanLimits")
	if err := fakeCheckLimits(l); err != nil {
		return ui.LimitPlan{}, err
	}
	return ui.LimitPlan{From: f.limits, To: l, Raised: fakeRaised(f.limits, l)}, nil
}

// SetLimits saves lowered or added limits as they are; raising or removing one needs the PIN
// and code, checked with the payments' attempts (scaCheck), as wallet.Wallet.SetLimits does.
func (f *FakeWallet) SetLimits(ctx context.Context, l ui.Limits, sca ui.SCAInput) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("SetLimits")
	if err := fakeCheckLimits(l); err != nil {
		return err
	}
	if len(fakeRaised(f.limits, l)) > 0 {
		if sca.PIN.Empty() || sca.TOTP.Empty() {
			return &ui.Problem{What: "Raising or removing a limit needs your PIN and the code from your authenticator app.",
				Next: "Type them to confirm the change."}
		}
		if err := f.scaCheck(sca.PIN.Reveal(), sca.TOTP.Reveal()); err != nil {
			return err
		}
	}
	f.limits = l
	return nil
}

// fakeCheckLimits is wallet.Limits.Validate: a count from 0 (none) to 10000; a per-payment
// limit not above the daily, monthly or consent total limit; a daily limit not above the
// monthly one. Limits that are off never contradict.
func fakeCheckLimits(l ui.Limits) error {
	if l.PerDayCount < 0 || l.PerDayCount > 10000 {
		return &ui.Problem{What: "The daily number of payments must be from 1 to 10000.", Next: "Set a number in that range, or no limit."}
	}
	for _, p := range []struct {
		high, low                       money.Amount
		highName, lowName, lower, raise string
	}{
		{l.PerPayment, l.PerDay, "per-payment", "daily", "the per-payment limit", "the daily one"},
		{l.PerPayment, l.PerMonth, "per-payment", "monthly", "the per-payment limit", "the monthly one"},
		{l.PerDay, l.PerMonth, "daily", "monthly", "the daily limit", "the monthly one"},
		{l.PerPayment, l.ConsentTotal, "per-payment", "consent total", "the per-payment limit", "the consent total"},
	} {
		if !p.high.IsZero() && !p.low.IsZero() && p.high.Cmp(p.low) > 0 {
			return &ui.Problem{What: fmt.Sprintf("The %s limit (%s AED) is above the %s limit (%s AED), so it could never be reached.",
				p.highName, p.high.Display(), p.lowName, p.low.Display()), Next: "Lower " + p.lower + " or raise " + p.raise + "."}
		}
	}
	return nil
}

// fakeRaised is wallet.Raised: the limits to raises or removes compared with from.
func fakeRaised(from, to ui.Limits) []ui.LimitName {
	f := []int64{from.PerPayment.Minor(), from.PerDay.Minor(), from.PerMonth.Minor(), int64(from.PerDayCount), from.ConsentTotal.Minor()}
	t := []int64{to.PerPayment.Minor(), to.PerDay.Minor(), to.PerMonth.Minor(), int64(to.PerDayCount), to.ConsentTotal.Minor()}
	names := []ui.LimitName{ui.LimitPerPayment, ui.LimitPerDay, ui.LimitPerMonth, ui.LimitPerDayCount, ui.LimitConsentTotal}
	var out []ui.LimitName
	for i := range names {
		if f[i] != 0 && (t[i] == 0 || t[i] > f[i]) {
			out = append(out, names[i])
		}
	}
	return out
}
