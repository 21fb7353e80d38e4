package uifake

import (
	"strings"
	"time"

	"github.com/payterm/payterm/ui"
)

// The fake's wallet at three standards at once: the UAE sandbox bank (delegated SCA, AED), the
// Berlin Group bank (each payment approved at the bank, EUR) and a Fintecture hub (each
// payment on its Connect page, EUR, a message to the payee required). The terms are what the
// production core reads from each provider's Caps (app/standards.go).

// FakeFTBank is the fake Fintecture hub.
var FakeFTBank = ui.BankOption{ID: "fin", Name: "Fintecture Test Hub", Terms: FakeFTTerms()}

// FakeFTTerms are the Fintecture hub's terms as the core fills them.
func FakeFTTerms() ui.PayTerms {
	return ui.PayTerms{
		Standard:  "Fintecture payment session (PSD2 PISP)",
		Currency:  "EUR",
		Products:  []ui.Product{{ID: "immediate_transfer", Label: "Immediate transfer (Fintecture)", Currency: "EUR", Account: ui.AccountIBAN}},
		Reference: ui.ReferenceField{Label: "Message to the payee", Max: 140, Required: true},
		WalletSCA: ui.SCAWalletOnly,
		Signing:   "HTTP signature (draft-cavage, rsa-sha256) over (request-target) with the query, Date, Digest and X-Request-ID, keyId = app_id; Bearer application token",
		Approval:  "at the bank, each payment",
		Scheme:    "HTTP signature rsa-sha256 (app key)",
		NoCancel:  true, // as the real hub: a session is cancelled at the bank or lapses
	}
}

// fakeFTLinkID is the wallet's link to the Fintecture hub's account.
const fakeFTLinkID = "f1000000-0000-4000-8000-000000000001"

// NewFakeThreeBankWallet is NewFakeBGWallet with a link at the Fintecture hub too: Home,
// Consents, History and the inspector see three banks under three standards, and every
// payment row names its bank.
func NewFakeThreeBankWallet(now func() time.Time, n int) *FakeWallet {
	f := NewFakeBGWallet(now, n)
	f.mu.Lock()
	defer f.mu.Unlock()
	link := ui.Consent{ID: fakeFTLinkID, Bank: FakeFTBank.Name, BankID: FakeFTBank.ID, Status: ui.ConsentAuthorized, Link: true,
		Created: FakeBase.AddDate(0, 0, -7), Expires: FakeBase.AddDate(1, 0, 0), Model: ui.BeneficiaryOpen,
		DebtorMasked: "FR76 •••• 0189", TotalPaid: amt(1250), PaymentCount: 1, Terms: FakeFTTerms()}
	// After the Berlin Group consent (Home's active one), before the UAE ones.
	f.consents = append(f.consents[:1], append([]ui.Consent{link}, f.consents[1:]...)...)
	row := ui.PaymentRow{ID: "ft0000001", PaymentID: "ft-session-1", At: FakeBase.Add(-15 * time.Minute), PayeeName: "Boulangerie Paul",
		Amount: amt(1250), Currency: "EUR", Status: ui.PaymentExecuted, BankStatus: "payment_created", Reference: "Invoice 42"}
	f.rows = append(f.rows[:1], append([]ui.PaymentRow{row}, f.rows[1:]...)...)
	f.details[row.ID] = ui.PaymentDetail{Row: row, InteractionID: "00000000-0000-4000-8000-0000000f7001", ConsentID: fakeFTLinkID,
		Timeline: []ui.StatusChange{{At: row.At, Status: ui.PaymentPrepared},
			{At: row.At.Add(time.Second), Status: ui.PaymentAwaitingBankSCA, BankStatus: "session_created"},
			{At: row.At.Add(50 * time.Second), Status: row.Status, BankStatus: row.BankStatus}}}
	uae := f.BankOptions[0]
	uae.Terms = ui.UAETerms()
	f.walletBanks = []ui.BankOption{uae, FakeBGBank, FakeFTBank}
	terms := map[string]ui.PayTerms{uae.Name: uae.Terms, FakeBGBank.Name: FakeBGBank.Terms, FakeFTBank.Name: FakeFTBank.Terms}
	for i := range f.rows {
		r := &f.rows[i]
		switch {
		case strings.HasPrefix(r.ID, "bg"):
			r.Bank = FakeBGBank.Name
		case strings.HasPrefix(r.ID, "ft"):
			r.Bank = FakeFTBank.Name
		default:
			r.Bank = uae.Name
		}
		f.index[r.ID] = i
		if d, ok := f.details[r.ID]; ok {
			d.Row.Bank, d.Terms = r.Bank, terms[r.Bank]
			f.details[r.ID] = d
		}
	}
	return f
}

// ftDetail is the Fintecture link's rules and its payments; the caller holds f.mu.
func (f *FakeWallet) ftDetail(c ui.Consent) ui.ConsentDetail {
	d := ui.ConsentDetail{Consent: c, Rules: []ui.Rule{
		{Label: "Type", Value: "Each payment approved on " + c.Bank + "'s page (" + c.Terms.Standard + ")"},
		{Label: "Who you can pay", Value: "any payee you type"},
	}}
	for _, r := range f.rows {
		if strings.HasPrefix(r.ID, "ft") {
			d.Payments = append(d.Payments, r)
		}
	}
	return d
}
