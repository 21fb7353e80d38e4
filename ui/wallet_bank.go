package ui

import (
	"time"

	"github.com/payterm/payterm/money"
)

// This file is the part of the Wallet contract that differs between the standards payterm pays
// under: what a bank's standard means for the pay screens (PayTerms), and the bank's own
// approval step inside a payment (BankAction, answered with ContinuePayment). UAE delegated SCA
// needs none of it: its zero values are the UAE's, so a UAE core fills nothing new.

// WalletSCA says what the wallet's own PIN + code check is for a payment at a bank.
type WalletSCA string

// What the wallet's check means.
const (
	// SCADelegated: the PIN and code ARE the payment's strong customer authentication, and the
	// core proves them to the bank (UAE delegated SCA: the Risk block, the device-key signature).
	// No bank step follows.
	SCADelegated WalletSCA = "delegated"
	// SCAWalletOnly: the PIN and code protect this wallet only (nobody pays from it unattended);
	// the bank authenticates the payer itself for every payment (Berlin Group: its page, its app,
	// or its questions here). The screens say so and never claim the wallet's check replaces the
	// bank's. An unknown or empty WalletSCA in terms that are not zero reads as this one.
	SCAWalletOnly WalletSCA = "wallet-only"
)

// AccountScheme is how a payee's account is written for a product: the form's field label and
// its as-you-type feedback follow it.
type AccountScheme string

// Account schemes. "IBAN:" followed by an ISO 3166 code restricts IBANs to that country
// ("IBAN:GE" for Bank of Georgia's domestic product).
const (
	AccountIBAN          AccountScheme = "IBAN"    // an IBAN of any country of the ISO 13616 registry
	AccountUAEIBAN       AccountScheme = "IBAN:AE" // a UAE IBAN: AE + 21 digits (the zero value)
	AccountNorwegianBBAN AccountScheme = "BBAN:NO" // a Norwegian domestic account number: 11 digits, MOD-11
)

// Product is one kind of payment a bank offers under a consent.
type Product struct {
	ID       string        // the bank's product id ("sepa-credit-transfers"), sent back in PaymentDraft.Product
	Label    string        // what the user sees ("SEPA transfer", "Instant SEPA transfer")
	Currency string        // ISO 4217 code of its amounts ("EUR", "NOK")
	Account  AccountScheme // how the payee's account is written ("" = a UAE IBAN)
	// PayeeBank: a new payee is typed with its bank's BIC, its address and country, and the
	// payment needs a message to the payee (OP's foreign payments).
	PayeeBank bool
}

// ReferenceField is the free-text field a payment carries to the payee.
type ReferenceField struct {
	Label string // the form's name for it ("Reference", "Payee message"); at most 13 characters fit the form's column
	Max   int    // the most characters the bank takes (UAE DebtorReference 35; BG remittanceInformationUnstructured 140)
	// Required: the bank refuses a payment without it (Fintecture's communication); the form
	// marks the field and asks for it before anything is prepared.
	Required bool
}

// PayTerms are the facts of a bank's standard the screens need to pay under a consent there.
// The core fills them on BankOption and Consent. The zero value means the UAE's (UAETerms), so
// a UAE core may leave them empty; a core for any other standard fills every field.
type PayTerms struct {
	// Standard names the standard in words: "UAE Open Finance", "Berlin Group NextGenPSD2".
	Standard string
	// Currency is the ISO 4217 code of the consent's totals and its first product.
	Currency string
	// Products are what the bank pays as, at least one; the pay form offers a choice (←/→) when
	// there are several. Each names its currency and account scheme.
	Products []Product
	// Purpose is true when payments carry a purpose code (the UAE's AANI list).
	Purpose bool
	// PayeeType is true when payees are retail or corporate (the UAE's creditor kinds).
	PayeeType bool
	// Reference is the free-text field's name and length.
	Reference ReferenceField
	// WalletSCA is what the wallet's PIN + code check means at this bank.
	WalletSCA WalletSCA
	// Signing says in words how requests to the bank are signed, for the review screen and the
	// inspector: "JWS (PS256), PII in a JWE", "HTTP signature (draft-cavage rsa-sha256)".
	Signing string
	// Approval says in a few words who approves a payment ("in payterm (PIN + code)", "at the
	// bank, each payment"), and Scheme how requests are signed ("JWS PS256 + JWE", "HTTP
	// signature rsa-sha256"): the columns of the banks side by side (Home, Consents, the
	// inspector). Empty: read from WalletSCA and Signing.
	Approval, Scheme string
	// Bundle is how many payments one approval at the bank may cover (a "bundle": the core is
	// a BundleService); 0 when the bank approves each payment on its own.
	Bundle int
	// NoCancel: payterm cannot ask this bank to cancel a payment awaiting its approval (the
	// payer cancels it in online banking, or lets it lapse), so X is not offered for one.
	NoCancel bool
}

// UAETerms are the terms of a UAE Open Finance bank (delegated SCA): the zero PayTerms stands
// for them, and a core may return them as they are.
func UAETerms() PayTerms {
	return PayTerms{
		Standard:  "UAE Open Finance",
		Currency:  currency,
		Products:  []Product{{Label: "Domestic transfer", Currency: currency, Account: AccountUAEIBAN}},
		Purpose:   true,
		PayeeType: true,
		Reference: ReferenceField{Label: "Reference", Max: 35},
		WalletSCA: SCADelegated,
		Signing:   "JWS (PS256), PII in a JWE",
		Approval:  "in payterm (PIN + code)",
		Scheme:    "JWS PS256 + JWE",
	}
}

// resolved is t as the screens use it: the UAE's terms for the zero value; otherwise t with
// what is missing read safely (a missing WalletSCA is wallet-only: never claim more than known;
// a missing product is one product in Currency, by IBAN; a missing reference is 35 characters).
// Resolved is t as the screens read it: the zero PayTerms is UAETerms(), a WalletSCA other
// than delegated is wallet-only, and a missing product or currency is filled in.
func (t PayTerms) Resolved() PayTerms { return t.resolved() }

func (t PayTerms) resolved() PayTerms {
	if t.Standard == "" && t.Currency == "" && len(t.Products) == 0 && t.WalletSCA == "" {
		return UAETerms()
	}
	if t.WalletSCA != SCADelegated {
		t.WalletSCA = SCAWalletOnly
	}
	if len(t.Products) == 0 {
		t.Products = []Product{{Label: "Transfer", Currency: t.Currency, Account: AccountIBAN}}
	}
	if t.Currency == "" {
		t.Currency = t.Products[0].Currency
	}
	if t.Reference.Label == "" {
		t.Reference.Label = "Reference"
	}
	if t.Reference.Max <= 0 {
		t.Reference.Max = 35
	}
	return t
}

// delegated reports whether the wallet's check is the payment's SCA (UAE): the screens then say
// what they have always said.
func (t PayTerms) delegated() bool { return t.resolved().WalletSCA == SCADelegated }

// Money is an amount with its ISO 4217 currency ("" = AED).
type Money struct {
	Amount   money.Amount
	Currency string
}

// BankActionKind is what the bank asks of the payer in the middle of a payment.
type BankActionKind string

// The bank's questions (psd2-providers.md §2.5).
const (
	// ActionRedirect: open the bank's page (URL) and approve there. The core learns the outcome
	// by polling the bank, or, with NeedsCallback, from the address the browser is sent back to.
	ActionRedirect BankActionKind = "redirect"
	// ActionDecoupled: approve in the bank's app (Message says how); the core polls the bank.
	ActionDecoupled BankActionKind = "decoupled"
	// ActionPassword: the embedded approach's first question, the payer's online-banking
	// password, typed into payterm and sent once to the bank (BankInput.Secret).
	ActionPassword BankActionKind = "password"
	// ActionMethod: choose one of the bank's SCA methods (Methods; BankInput.MethodID).
	ActionMethod BankActionKind = "method"
	// ActionOTP: the one-time code (TAN) the bank sent by the method chosen (Challenge;
	// BankInput.Secret).
	ActionOTP BankActionKind = "otp"
	// ActionConfirmation: the confirmation code the bank gave after its page (Berlin Group 1.3.8
	// scaStatus "unconfirmed"), typed or pasted with the address it came on (BankInput.Secret).
	ActionConfirmation BankActionKind = "confirmation"
)

// BankAction is the bank's approval step of one payment, as the core asks the payer for it. Every
// string in it comes from the bank (untrusted): the UI cleans it like everything the core returns.
type BankAction struct {
	Kind BankActionKind
	// Message is the bank's own words to the payer (psuMessage, "Please use your BankApp to
	// confirm the payment"), "" when none; shown quoted, as the bank's.
	Message string

	// ActionRedirect: the address of the bank's page, until when it works (zero = unknown), and
	// how the outcome comes back. With NeedsCallback the bank's answer is in the address the
	// browser lands on: CallbackHere says the core receives it on this computer (a loopback
	// redirect; a phone cannot reach it), otherwise the payer pastes it (BankInput.Secret).
	// Without NeedsCallback the core polls the bank and nothing is pasted.
	URL           string
	ExpiresAt     time.Time
	NeedsCallback bool
	CallbackHere  bool

	// Login: the page is the bank's login (SpareBank 1's session), asked before the payment is
	// sent: nothing of it has reached the bank, and stopping sends nothing.
	Login bool

	// ActionMethod: the methods to choose from, in the bank's order.
	Methods []SCAMethod
	// ActionOTP (and ActionConfirmation): what the code looks like.
	Challenge *Challenge
}

// SCAMethod is one of the bank's ways to authenticate the payer (BG authenticationObject).
type SCAMethod struct {
	ID    string // authenticationMethodId, sent back in BankInput.MethodID
	Label string // the bank's name for it ("SMS to +49 •••• 1234", "Push to BankApp")
}

// Challenge describes the one-time code the bank asks for (BG challengeData).
type Challenge struct {
	// Text is the bank's instruction ("Enter the TAN sent by SMS to +49 •••• 1234"), "" for none.
	Text string
	// Masked draws the code as bullets while it is typed.
	Masked bool
	// Digits accepts digits only (otpFormat "integer"); MaxLength caps the field (0 = 64).
	Digits    bool
	MaxLength int
	// AttemptsLeft is how many more codes the bank will take; 0 when it did not say.
	AttemptsLeft int
}

// BankInput is the payer's answer to a BankAction (ContinuePayment).
type BankInput struct {
	// Kind is the action answered.
	Kind BankActionKind
	// Secret is the password (ActionPassword), the one-time code (ActionOTP), the confirmation
	// code or the address it came on (ActionConfirmation), or the address the browser landed on
	// (ActionRedirect with NeedsCallback). Never logged; used once.
	Secret Secret
	// MethodID is the SCAMethod.ID chosen (ActionMethod).
	MethodID string
}
