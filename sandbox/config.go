package sandbox

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"time"

	"github.com/payterm/payterm/sandbox/rules"
)

// Config configures a Bank. The zero value of every field is a safe default except where noted.
type Config struct {
	// DataDir holds the CA, the keys and state.json. "" = an ephemeral in-memory bank.
	DataDir string
	// Clock is the bank's time source (default time.Now). The admin offset is added to it.
	Clock func() time.Time
	// Rand is the randomness for keys, ids and tokens (default crypto/rand.Reader).
	Rand io.Reader

	// Listen addresses ("127.0.0.1:0" when empty) of the four hosts: issuer (discovery, JWKS,
	// /tf/register), the browser-facing authorize page, the AS (PAR, token) and the resource server.
	IssuerAddr, AuthorizeAddr, ASAddr, ResourceAddr string
	// AuthorizeTLS serves the consent page over HTTPS (sandbox CA) instead of plain loopback http.
	AuthorizeTLS bool
	// AccountHolders is the Confirmation of Payee directory (cop.go): who holds which account.
	// nil means DefaultAccountHolders; an account not in it is not found (404).
	AccountHolders []AccountHolder
	// AllowUnconfirmedCreditors lets a payment to a creditor the consent does not name go
	// without a Confirmation of Payee answer (rule 41 off for that case; a CoP answer that is
	// sent is still checked). Off: strict, as the standard requires CoP for new creditors.
	AllowUnconfirmedCreditors bool
	// AutoApprove redirects from the authorize endpoint without showing a page.
	AutoApprove bool
	// AllowLoopbackRedirect accepts http://127.0.0.1:{any port}/path redirect URIs (RFC 8252 §7.3).
	// nil means true.
	AllowLoopbackRedirect *bool

	// BalanceFils is the initial simulated debtor balance in fils (1 AED = 100 fils); used only
	// by a fresh data dir. 0 means 25,000.00 AED unless BalanceFilsSet is true.
	BalanceFils int64
	// BalanceFilsSet makes BalanceFils literal, so that 0 starts the bank with 0.00 AED. (A
	// separate flag rather than a *int64 so existing callers that set BalanceFils compile.)
	BalanceFilsSet bool
	// SettleAfter: Pending → AcceptedSettlementCompleted (default 2s).
	// CreditAfter: creation → AcceptedCreditSettlementCompleted (default 4s).
	SettleAfter, CreditAfter time.Duration

	// Leeway is the clock-skew allowance on every time check (default 30s, [SIM-CHOICE]).
	Leeway time.Duration
	// PARLifetime (default 90s), CodeLifetime (default 60s), AccessTokenLifetime (fixed 600s by
	// the spec unless set).
	PARLifetime, CodeLifetime, AccessTokenLifetime time.Duration
	// RotateRefreshTokens issues a new refresh token on every refresh and invalidates the old one
	// (default true; nil means true).
	RotateRefreshTokens *bool
	// OmitIDTokenHashes leaves s_hash, c_hash and at_hash out of the id_token (they are in by
	// default; see idtoken.go for why). The id_token_bad_*_hash faults still add theirs.
	OmitIDTokenHashes bool
	// StrictIdempotencyMismatch answers a replayed key with a different body with 409 instead of
	// replaying the stored response.
	StrictIdempotencyMismatch bool
	// CreditorMismatchAsReject creates the payment and rejects it with LFI.CreditorMismatch instead
	// of answering 400 Consent.BusinessRuleViolation (rule 32, configurable).
	CreditorMismatchAsReject bool
	// SCAMaxAge bounds how old the payment Risk's ChallengeDateTime may be (default 5m).
	SCAMaxAge time.Duration
	// BICs maps a 3-digit UAE IBAN bank code to its BIC (8 chars), for CreditorAgent checks.
	BICs map[string]string
	// Rules are the rule engine's [SIM-CHOICE] switches (zero value = strict): tolerate or reject
	// iat/jti in request objects, cty on the PII JWE, an empty Creditor array, open nested
	// payment Risk, a string aud in signed bodies, and the token lifetimes it checks.
	Rules rules.Options
	// GuidePathAlias also serves the payment API under /open-finance/v2.1 (the guides' path;
	// off = strict, only the OpenAPI's /open-finance/payment/v2.1).
	GuidePathAlias bool
	// ErrorLog receives net/http's server errors such as failed TLS handshakes (default: discarded).
	ErrorLog *log.Logger
	// BankName is shown on the consent page.
	BankName string
	// AdminToken enables the admin HTTP API (standalone) when non-empty; AdminAddr is its address.
	AdminToken string
	AdminAddr  string

	// ReadTimeout bounds reading one whole request, body included (default 30s; the headers
	// get at most 10s); WriteTimeout bounds writing its answer (default 60s). The slow fault
	// extends both for its own request by its delay. IdleTimeout closes a keep-alive
	// connection that waits that long for its next request (default 120s).
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// MaxConns caps the open connections of each host (default 256): a connection past the
	// cap waits until another one closes.
	MaxConns int
}

// DefaultBalanceFils is a fresh bank's debtor balance when Config sets none: 25,000.00 AED.
const DefaultBalanceFils = 25_000_00

func (c Config) withDefaults() (Config, error) {
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	for _, a := range []*string{&c.IssuerAddr, &c.AuthorizeAddr, &c.ASAddr, &c.ResourceAddr} {
		if *a == "" {
			*a = "127.0.0.1:0"
		}
	}
	if c.AllowLoopbackRedirect == nil {
		t := true
		c.AllowLoopbackRedirect = &t
	}
	if c.RotateRefreshTokens == nil {
		t := true
		c.RotateRefreshTokens = &t
	}
	if c.BalanceFils == 0 && !c.BalanceFilsSet {
		c.BalanceFils = DefaultBalanceFils
	}
	if c.BalanceFils < 0 {
		return c, errors.New("sandbox balance must not be negative")
	}
	if c.SettleAfter == 0 {
		c.SettleAfter = 2 * time.Second
	}
	if c.CreditAfter == 0 {
		c.CreditAfter = 4 * time.Second
	}
	if c.SettleAfter < 0 || c.CreditAfter < c.SettleAfter {
		return c, fmt.Errorf("sandbox settle_after (%s) must be ≥ 0 and ≤ credit_after (%s)", c.SettleAfter, c.CreditAfter)
	}
	if c.Leeway == 0 {
		c.Leeway = 30 * time.Second
	}
	if c.PARLifetime == 0 {
		c.PARLifetime = 90 * time.Second
	}
	if c.CodeLifetime == 0 {
		c.CodeLifetime = 60 * time.Second
	}
	if c.CodeLifetime > 10*time.Minute {
		return c, errors.New("sandbox code lifetime must be at most 10 minutes (rule 23)")
	}
	if c.AccessTokenLifetime == 0 {
		c.AccessTokenLifetime = 600 * time.Second
	}
	if c.SCAMaxAge == 0 {
		c.SCAMaxAge = 5 * time.Minute
	}
	if c.ErrorLog == nil {
		c.ErrorLog = log.New(io.Discard, "", 0)
	}
	if c.BankName == "" {
		c.BankName = "payterm Sandbox Bank"
	}
	if c.BICs == nil {
		c.BICs = rules.DefaultBICs()
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&c.ReadTimeout, 30 * time.Second}, {&c.WriteTimeout, 60 * time.Second}, {&c.IdleTimeout, 120 * time.Second}} {
		if *d.v == 0 {
			*d.v = d.def
		}
		if *d.v < 0 {
			return c, errors.New("sandbox read, write and idle timeouts must not be negative")
		}
	}
	if c.MaxConns == 0 {
		c.MaxConns = 256
	}
	if c.MaxConns < 0 {
		return c, errors.New("sandbox max_conns must not be negative")
	}
	return c, nil
}

// String redacts the admin token so a logged Config never carries it.
func (c Config) String() string {
	tok := ""
	if c.AdminToken != "" {
		tok = "[redacted]"
	}
	return fmt.Sprintf("sandbox.Config{DataDir:%q AutoApprove:%v AuthorizeTLS:%v AdminToken:%s}", c.DataDir, c.AutoApprove, c.AuthorizeTLS, tok)
}

// LogValue is String for slog.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }
