package xs2aprov

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/payterm/payterm/internal/ctxsleep"
	"github.com/payterm/payterm/internal/iban"
	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/xs2a"
)

// Config wires one Berlin Group bank.
type Config struct {
	// Name is the bank's name as the wallet shows it.
	Name string
	// Client configures the xs2a client New builds: profile (bg, sb1, bog), BaseURL, the mTLS
	// HTTP client (QWAC), the QSealC and its key, RedirectURI (where the bank sends the
	// payer's browser back; the OAuth approach's redirect_uri), NokRedirectURI, AllowEmbedded
	// (the payer's online-banking password typed into the wallet: PSD2 Art. 66(3) duties),
	// OAuthClientID (bog), Rand, Observer (the inspector: secrets redacted by xs2a). Its Clock
	// defaults to Clock.
	Client xs2a.Config
	// PSUIPAddress is sent as PSU-IP-Address (required on initiation, IPv4): the payer's
	// address, or the wallet host's when it is not known. PSUUserAgent is optional.
	PSUIPAddress string
	PSUUserAgent string
	// PSUID is the payer's login id at the bank (PSU-ID). The decoupled and embedded
	// approaches need it; redirect and OAuth do not. Personal data: never logged. SpareBank 1
	// takes it from the PSU session instead.
	PSUID string
	// Approach asks the bank for an SCA approach (TPP-Redirect-Preferred /
	// TPP-Decoupled-Preferred); "" leaves it to the bank. The bank decides.
	Approach xs2a.Approach
	// DateSkew is how far the bank lets a request's Date be from its clock (default 30 s, the
	// common value); a stored request is rebuilt before that runs out.
	DateSkew time.Duration
	// MaxAttempts is how many wrong passwords or TANs the bank allows before the authorisation
	// fails (default 5: RTS Art. 4(3)(a)); AttemptsLeft counts down from it.
	MaxAttempts int
	// Clock defaults to Client.Clock, else time.Now; Sleep (the bank's waits) defaults to a
	// context-aware timer; Rand (the session redirect's state) to crypto/rand.
	Clock func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	Rand  io.Reader
	// Sessions keeps SpareBank 1's PSU session across restarts (the core's keystore): Keep
	// when a login opens one, Forget when the bank or the payer ends it. Nil keeps it in
	// memory only.
	Sessions SessionKeeper
}

// SessionKeeper is where the core keeps a PSU session (Session.Keystore's bytes): a secret
// store, never a plain file or the ledger.
type SessionKeeper interface {
	Keep(session []byte) error
	Forget() error
}

// Bank is one Berlin Group bank: provider.Bank, provider.Approver and provider.Canceller.
type Bank struct {
	cfg  Config
	cl   *xs2a.Client
	prof xs2a.Profile
	caps provider.Caps

	mu sync.Mutex
	// busyUntil is the latest wait a bank's Retry-After asked for: no call leaves before it.
	busyUntil time.Time
	// spent are X-Request-IDs of stored creates the bank answered 429 to: a bank may count an
	// X-Request-ID as used even on a refusal, so that request is built again before it goes.
	spent map[string]bool
	// dupRefused are stored creates whose resend SpareBank 1 refused as a duplicate: it has the
	// payment, and another resend would only be refused again.
	dupRefused map[string]bool
	// oauth are the OAuth flows waiting for their redirect, by paymentId; tokens the access
	// tokens they gave, by paymentId. Secrets: memory only.
	oauth  map[string]*oauthFlow
	tokens map[string]token
	// session is SpareBank 1's PSU session (memory; the core keeps it in the keystore);
	// pending the session login waiting for its redirect.
	session *xs2a.Session
	pending *sessionStart
}

var (
	_ provider.Bank      = (*Bank)(nil)
	_ provider.Approver  = (*Bank)(nil)
	_ provider.Canceller = (*Bank)(nil)
	_ provider.Login     = (*Bank)(nil)
)

const (
	defaultSkew = 30 * time.Second
	// sendMargin: a stored request leaves only while its Date has at least this long before
	// the bank's skew runs out (network and clock differences).
	sendMargin = 5 * time.Second
	// pollAfter is how soon a screen asks again while the payer approves elsewhere.
	pollAfter = 2 * time.Second
	// storedLife is how long a stored create may still be sent (rebuilt when its Date is
	// stale): far beyond the wallet's five-minute SCA, which ends it first.
	storedLife = time.Hour
	// maxTries bounds the sends of one call that the bank's 429 held back.
	maxTries = 3
)

// New checks cfg and builds the xs2a client. It makes no network call.
func New(cfg Config) (*Bank, error) {
	if cfg.Clock == nil {
		cfg.Clock = cfg.Client.Clock
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Client.Clock == nil {
		cfg.Client.Clock = cfg.Clock
	}
	if cfg.Sleep == nil {
		cfg.Sleep = ctxsleep.For
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.DateSkew == 0 {
		cfg.DateSkew = defaultSkew
	}
	if cfg.DateSkew <= sendMargin {
		return nil, fmt.Errorf("xs2a bank %q: DateSkew must be more than %s", safetext.Line(cfg.Name), sendMargin)
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.PSUIPAddress == "" {
		return nil, fmt.Errorf("xs2a bank %q: PSUIPAddress is required (the payer's IPv4 address, or this host's)", safetext.Line(cfg.Name))
	}
	if cfg.Approach == xs2a.Embedded && !cfg.Client.AllowEmbedded {
		return nil, fmt.Errorf("xs2a bank %q: the embedded approach needs Client.AllowEmbedded (the payer's bank password in the wallet)", safetext.Line(cfg.Name))
	}
	cl, err := xs2a.New(cfg.Client)
	if err != nil {
		return nil, fmt.Errorf("xs2a bank %q: %w", safetext.Line(cfg.Name), err)
	}
	b := &Bank{cfg: cfg, cl: cl, prof: cl.Profile(), spent: map[string]bool{}, dupRefused: map[string]bool{},
		oauth: map[string]*oauthFlow{}, tokens: map[string]token{}}
	b.caps = caps(cfg.Name, b.prof)
	return b, nil
}

// Caps describes the bank.
func (b *Bank) Caps() provider.Caps { return b.caps }

// call is the per-call context: the payer's headers, the session (SpareBank 1) and the
// payment's OAuth token while this run holds one.
func (b *Bank) call(paymentID string) xs2a.Call {
	c := xs2a.Call{PSU: xs2a.PSU{IPAddress: b.cfg.PSUIPAddress, UserAgent: b.cfg.PSUUserAgent}}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.prof.PSUSession {
		if b.session != nil {
			s := *b.session
			c.PSU.Session = &s
		}
	} else {
		c.PSU.ID = b.cfg.PSUID
	}
	if t, ok := b.tokens[paymentID]; ok && paymentID != "" {
		if b.cfg.Clock().Before(t.expires) {
			c.PSU.Token = t.value
		} else {
			delete(b.tokens, paymentID)
		}
	}
	yes, no := true, false
	switch b.cfg.Approach {
	case xs2a.Redirect, xs2a.OAuth:
		c.PreferRedirect = &yes
	case xs2a.Decoupled:
		c.PreferDecoupled = &yes
	case xs2a.Embedded:
		c.PreferRedirect = &no
	}
	return c
}

// errNoSession: SpareBank 1 without a PSU session. Nothing was sent.
func (b *Bank) errNoSession() error {
	return notSent("SpareBank 1 needs you to log in at the bank first (a PSU session): log in again, then pay", nil,
		provider.ErrGrantInactive, provider.ErrNotProcessed)
}

// Build validates the intent, builds the initiation (POST /v1/payments/{product}) and signs
// it. Nothing leaves the machine.
func (b *Bank) Build(ctx context.Context, in provider.Intent, _ provider.Evidence, _ provider.Facts) (provider.Request, error) {
	p, err := b.payment(in)
	if err != nil {
		return provider.Request{}, err
	}
	call := b.call("")
	if b.prof.PSUSession && call.PSU.Session == nil {
		return provider.Request{}, b.errNoSession()
	}
	provider.ReportStep(ctx, StepSigned, provider.StepRunning, nil)
	req, err := b.cl.BuildInitiate(p, call)
	if err != nil {
		err = inputError("the payment cannot be built", err)
		provider.ReportStep(ctx, StepSigned, provider.StepFailed, err)
		return provider.Request{}, err
	}
	out, err := b.request(req, false)
	if err != nil {
		provider.ReportStep(ctx, StepSigned, provider.StepFailed, err)
		return provider.Request{}, err
	}
	provider.ReportStep(ctx, StepSigned, provider.StepDone, nil)
	return out, nil
}

// request is the core's form of a built create: the stored bytes, the X-Request-ID, and how
// long it may be sent (sendBy).
func (b *Bank) request(req *xs2a.Request, resend bool) (provider.Request, error) {
	raw, err := encodeStored(req, resend)
	if err != nil {
		return provider.Request{}, fmt.Errorf("store the request: %w", err)
	}
	return provider.Request{Bytes: raw, Key: req.RequestID, SendBy: b.sendBy(req)}, nil
}

// sendBy is how long the stored create stays sendable. Its Date goes stale for the bank within
// DateSkew, but Send never puts a stale Date on the wire: it returns a Rebuild (the same
// payment under a new Date and X-Request-ID) instead, so the bytes' own limit is not the
// Date's. The core reads SendBy as a hard deadline (it abandons the payment resendMargin
// before it), so it is set past any wallet SCA deadline: the core's own SCA lifetime decides.
func (b *Bank) sendBy(req *xs2a.Request) time.Time {
	return dateOf(req).Add(storedLife)
}

// payment checks the intent against the product and makes the xs2a payment. Every refusal is
// one sentence with the next step and quotes no account or name.
func (b *Bank) payment(in provider.Intent) (xs2a.Payment, error) {
	prod, ok := b.caps.Product(in.Product)
	if !ok {
		ids := make([]string, len(b.caps.Products))
		for i, p := range b.caps.Products {
			ids[i] = p.ID
		}
		return xs2a.Payment{}, fmt.Errorf("%s does not offer the payment product %q: pick one of %v", b.cfg.Name, safetext.Short(in.Product, 64), ids)
	}
	if !slices.Contains(prod.Currencies, in.Amount.Currency) {
		return xs2a.Payment{}, fmt.Errorf("a %s pays in %v, not %q: change the currency or the product", prod.Label, prod.Currencies, safetext.Short(in.Amount.Currency, 8))
	}
	if !in.Amount.Amount.IsPositive() {
		return xs2a.Payment{}, errors.New("the amount must be more than zero: type the amount to pay")
	}
	if in.Purpose != "" {
		return xs2a.Payment{}, errors.New("a Berlin Group bank takes no purpose code: leave the purpose empty")
	}
	if in.Debtor == nil || in.Debtor.Account == "" {
		return xs2a.Payment{}, errors.New("the account to pay from is missing: link your account at this bank first")
	}
	debtor, err := account("the account to pay from", norwegianForm(*in.Debtor, prod.Debtor), prod.Debtor, nil)
	if err != nil {
		return xs2a.Payment{}, err
	}
	creditor, err := account("the payee's account", in.Creditor, prod.Creditor, prod.IBANCountries)
	if err != nil {
		return xs2a.Payment{}, err
	}
	if n := utf8.RuneCountInString(in.Creditor.Name); n == 0 || n > 70 || !safetext.Clean(in.Creditor.Name) {
		return xs2a.Payment{}, fmt.Errorf("the payee's name must be 1 to 70 characters without control characters (it has %d): shorten or retype it", n)
	}
	if n := utf8.RuneCountInString(in.Reference); n > 140 || !safetext.Clean(in.Reference) {
		return xs2a.Payment{}, fmt.Errorf("the message to the payee must be at most 140 characters without control characters (it has %d): shorten or retype it", n)
	}
	return xs2a.Payment{Product: prod.ID, Amount: xs2a.Amount{Minor: in.Amount.Amount.Minor(), Currency: in.Amount.Currency},
		Debtor: debtor, Creditor: creditor, CreditorName: in.Creditor.Name, Remittance: in.Reference}, nil
}

func account(what string, p provider.Party, want provider.AccountScheme, countries []string) (xs2a.Account, error) {
	if p.Scheme != "" && p.Scheme != want {
		return xs2a.Account{}, fmt.Errorf("%s is written as %s, but this product takes %s: pick the product for that account", what, schemeWords(p.Scheme), schemeWords(want))
	}
	if p.Account == "" {
		return xs2a.Account{}, fmt.Errorf("%s is missing: type it", what)
	}
	if want == provider.SchemeNorwayBBAN {
		return xs2a.Account{BBAN: p.Account}, nil
	}
	if len(countries) > 0 && (len(p.Account) < 2 || !slices.Contains(countries, p.Account[:2])) {
		return xs2a.Account{}, fmt.Errorf("%s is not an IBAN of a country this product pays to: pick another product", what)
	}
	return xs2a.Account{IBAN: p.Account}, nil
}

// norwegianForm writes a Norwegian payer account the way the product names it: the linked
// account may be configured as kontonummer or as its IBAN (NOkk + the same 11 digits), and
// SpareBank 1's domestic products take the first, its SEPA and cross-border ones the second.
// Anything else is left as it is (and refused by account or the client if it does not fit).
func norwegianForm(p provider.Party, want provider.AccountScheme) provider.Party {
	if p.Scheme != "" {
		return p
	}
	switch want {
	case provider.SchemeNorwayBBAN:
		if i, err := iban.Parse(p.Account); err == nil && i.Country() == "NO" {
			p.Account = i.BBAN()
		}
	case provider.SchemeIBAN:
		if i, err := iban.NorwegianIBAN(p.Account); err == nil {
			p.Account = string(i)
		}
	}
	return p
}

func schemeWords(s provider.AccountScheme) string {
	if s == provider.SchemeNorwayBBAN {
		return "a Norwegian account number (11 digits)"
	}
	return "an IBAN"
}

// Ready checks what sending needs: SpareBank 1's PSU session. Nothing is sent.
func (b *Bank) Ready(_ context.Context, _ provider.Payment) error {
	if b.prof.PSUSession && !b.HasSession() {
		return b.errNoSession()
	}
	return nil
}
