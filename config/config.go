// Package config loads payterm's settings: a TOML file whose every key is documented in
// config.example.toml. Unknown keys are errors (a typo must not silently fall back to a default),
// and every value is validated before any other package sees it.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/payterm/payterm/internal/pkcs11key"
)

// Backend modes.
const (
	ModeSandbox = "sandbox" // the embedded strict bank, started in-process (the default)
	ModeRemote  = "remote"  // a real LFI reached through the Trust Framework details in [bank]
)

// Payment standards a bank speaks (Bank.Provider).
const (
	ProviderUAE         = "uae"          // UAE Open Finance v2.1, delegated SCA (the default)
	ProviderBerlinGroup = "berlin-group" // Berlin Group NextGenPSD2: the bank approves each payment
	ProviderFintecture  = "fintecture"   // Fintecture payment sessions: the payer pays on Fintecture's Connect page
	ProviderOP          = "op"           // OP PSD2 PIS v1: the payer approves each payment (or bundle) on OP's page
)

// Secret store choices.
const (
	StoreAuto    = "auto"    // OS keyring; an encrypted file only when the keyring is unavailable
	StoreKeyring = "keyring" // OS keyring or fail
	StoreFile    = "file"    // encrypted file in the data dir
)

// Config is the whole settings tree.
type Config struct {
	// DataDir holds the ledger, the sandbox's state and the encrypted fallback store.
	DataDir string `toml:"data_dir"`
	// Bank is the first bank; Banks are more, each a [[banks]] table with the same keys.
	Bank     Bank     `toml:"bank"`
	Banks    []Bank   `toml:"banks"`
	Sandbox  Sandbox  `toml:"sandbox"`
	Limits   Limits   `toml:"limits"`
	Security Security `toml:"security"`
	PKCS11   PKCS11   `toml:"pkcs11"`
	UI       UI       `toml:"ui"`
}

// Bank says which LFI the wallet talks to and with which Trust Framework credentials.
type Bank struct {
	// ID names the bank in the ledger: every consent is recorded with its bank's id, so an id
	// must never be reused for another bank. Empty in [bank] means "sandbox" on the embedded bank.
	ID   string `toml:"id"`
	Mode string `toml:"mode"`
	Name string `toml:"name"`
	// Provider is the payment standard the bank speaks: "uae" (the default), "berlin-group" or
	// "fintecture".
	Provider string `toml:"provider"`
	// The Berlin Group settings (provider = "berlin-group"): the bank's profile, the payer's
	// account there (an IBAN; PII), its holder's name and currency, the payer's login id at the
	// bank (PSU-ID; needed by the decoupled and embedded approaches) and the approach to ask
	// for ("" lets the bank choose; "redirect", "decoupled" or "embedded").
	Profile       string `toml:"profile"`
	Account       string `toml:"account"`
	AccountHolder string `toml:"account_holder"`
	Currency      string `toml:"currency"`
	PSUID         string `toml:"psu_id"`
	SCAApproach   string `toml:"sca_approach"`
	// PayerEmail (provider = "fintecture") is the payer's e-mail address, sent as psu_email in
	// each payment session with account_holder as psu_name (Fintecture requires both). PII.
	PayerEmail      string `toml:"payer_email"`
	DiscoveryURL    string `toml:"discovery_url"`
	Issuer          string `toml:"issuer"`
	ResponseIssuer  string `toml:"response_issuer"`
	ResourceBaseURL string `toml:"resource_base_url"`
	// CoPBaseURL is the Confirmation of Payee API base at the API Hub; "" = the standard path
	// (/open-finance/confirmation-of-payee/v2.1) on resource_base_url's host.
	CoPBaseURL        string `toml:"cop_base_url"`
	ClientID          string `toml:"client_id"`
	SigningKID        string `toml:"signing_kid"`
	SigningKeyFile    string `toml:"signing_key_file"`
	TransportCertFile string `toml:"transport_cert_file"`
	TransportKeyFile  string `toml:"transport_key_file"`
	RootCAFile        string `toml:"root_ca_file"`
	// With [pkcs11] the private keys are in the token, found by label and/or CKA_ID (hex);
	// both empty means the label DefaultKeyLabel gives.
	PKCS11SigningKeyLabel   string `toml:"pkcs11_signing_key_label"`
	PKCS11SigningKeyID      string `toml:"pkcs11_signing_key_id"`
	PKCS11TransportKeyLabel string `toml:"pkcs11_transport_key_label"`
	PKCS11TransportKeyID    string `toml:"pkcs11_transport_key_id"`
	RedirectURI             string `toml:"redirect_uri"`
	// RedirectTLSCertFile and RedirectTLSKeyFile (PEM, both or neither) serve an https loopback
	// redirect_uri on this machine; without them such a URI is pasted back.
	RedirectTLSCertFile string `toml:"redirect_tls_cert_file"`
	RedirectTLSKeyFile  string `toml:"redirect_tls_key_file"`
	CustomerIPAddress   string `toml:"customer_ip_address"`
	// OwnAccounts (provider = "op") are your other accounts at OP (IBANs; PII): a transfer
	// between two of your own accounts (this one among them) may skip OP's approval in its
	// exemption flow, whatever the amount. OP decides.
	OwnAccounts        []string `toml:"own_accounts"`
	DefaultPurposeCode string   `toml:"default_purpose_code"`
	// Exemption (provider = "op"): "on" (the default when empty) lets a small payment try OP's
	// exemption flow before OP's page; "off" shows OP's page for every payment (ExemptionOn).
	Exemption string `toml:"exemption"`
}

// ExemptionOn reports whether an OP bank tries OP's exemption flow (exemption "on" or empty):
// a SEPA payment below 30 EUR within 45 days of an approval at OP asks OP to waive its
// approval, and shows OP's page only if OP refuses.
func (b Bank) ExemptionOn() bool { return b.Exemption != ExemptionOff }

// The values of exemption.
const (
	ExemptionOn  = "on"
	ExemptionOff = "off"
)

// Sandbox tunes the embedded bank.
type Sandbox struct {
	AutoApprove           bool     `toml:"auto_approve"`
	AllowLoopbackRedirect bool     `toml:"allow_loopback_redirect"`
	AuthorizeTLS          bool     `toml:"authorize_tls"`
	DebtorBalance         string   `toml:"debtor_balance"`
	SettleAfter           Duration `toml:"settle_after"`
	CreditAfter           Duration `toml:"credit_after"`

	// The bank's readings where the standard is silent or ambiguous ([SIM-CHOICE] in
	// uae-spec.md); the defaults are the strict readings.
	ClockLeeway                    Duration `toml:"clock_leeway"`
	SCAMaxAge                      Duration `toml:"sca_max_age"`
	RotateRefreshTokens            bool     `toml:"rotate_refresh_tokens"`
	IdempotencyMismatchConflict    bool     `toml:"idempotency_mismatch_conflict"`
	CreditorMismatchRejectsPayment bool     `toml:"creditor_mismatch_rejects_payment"`
	// RequirePayeeConfirmation makes the embedded bank refuse a payment to an open consent's
	// payee without a Confirmation of Payee answer (rule 41), as the standard requires (the
	// default); false lets such payments through. A CoP answer that is sent is checked either way.
	RequirePayeeConfirmation  bool `toml:"require_payee_confirmation"`
	RejectRequestObjectIATJTI bool `toml:"reject_request_object_iat_jti"`
	RejectPIICtyJWT           bool `toml:"reject_pii_cty_jwt"`
	AllowEmptyCreditorArray   bool `toml:"allow_empty_creditor_array"`
	OpenNestedPaymentRisk     bool `toml:"open_nested_payment_risk"`
	AcceptStringAud           bool `toml:"accept_string_aud"`
	GuidePathAlias            bool `toml:"guide_path_alias"`
	// AccountHolders add to the embedded bank's Confirmation of Payee directory (who holds which
	// account) beside its sample holders; an account in neither is "not found" and cannot be
	// paid from an open consent.
	AccountHolders []AccountHolder `toml:"account_holders"`
}

// Limits are the TPP-side limits; the bank enforces none under delegated SCA. Amounts are
// decimal strings in AED with exactly two places ("" means no limit).
type Limits struct {
	PerPayment   string `toml:"per_payment"`
	PerDay       string `toml:"per_day"`
	PerMonth     string `toml:"per_month"`
	PerDayCount  int    `toml:"per_day_count"`
	ConsentTotal string `toml:"consent_total"`
}

// Security holds the wallet's own authentication settings.
type Security struct {
	SecretStore         string   `toml:"secret_store"`
	FileStorePassphrase bool     `toml:"file_store_passphrase"`
	IdleLock            Duration `toml:"idle_lock"`
}

// PKCS11 puts the TPP's private keys (signing and mTLS transport) in a PKCS#11 token instead of
// PEM files. An empty Module means files (the default).
type PKCS11 struct {
	Module      string `toml:"module"`
	TokenLabel  string `toml:"token_label"`
	TokenSerial string `toml:"token_serial"`
	// PINSource is "prompt" (typed at start), "env:NAME" or "file:/path"; never the PIN.
	PINSource string `toml:"pin_source"`
}

// Enabled reports whether the keys live in a token.
func (p PKCS11) Enabled() bool { return p.Module != "" }

// ResolvedPINSource is PINSource with a file path's leading ~/ expanded.
func (p PKCS11) ResolvedPINSource() string {
	if rest, ok := strings.CutPrefix(p.PINSource, "file:"); ok {
		return "file:" + expandHome(rest)
	}
	return p.PINSource
}

// DefaultKeyLabel is the label of a bank's key in the token when the config names none:
// "payterm-<bank id>-signing" or "payterm-<bank id>-transport".
func DefaultKeyLabel(bankID, use string) string { return "payterm-" + bankID + "-" + use }

// UI holds presentation settings.
type UI struct {
	Accessible bool `toml:"accessible"`
	NoColor    bool `toml:"no_color"`
}

// Duration is a time.Duration written as a Go duration string ("90s", "5m").
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("not a duration like \"90s\" or \"5m\"")
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration back in Go syntax.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// Default returns the settings used when no file exists: the embedded sandbox, the OS keyring,
// and conservative limits.
func Default() Config {
	return Config{
		DataDir: DefaultDataDir(),
		Bank: Bank{
			Mode:               ModeSandbox,
			Provider:           ProviderUAE,
			Name:               "payterm Sandbox Bank",
			RedirectURI:        "http://127.0.0.1:0/callback",
			CustomerIPAddress:  "127.0.0.1",
			OwnAccounts:        []string{},
			DefaultPurposeCode: "TOF",
		},
		Sandbox: Sandbox{
			AllowLoopbackRedirect:    true,
			DebtorBalance:            "25000.00",
			SettleAfter:              Duration{2 * time.Second},
			CreditAfter:              Duration{4 * time.Second},
			ClockLeeway:              Duration{30 * time.Second},
			SCAMaxAge:                Duration{5 * time.Minute},
			RotateRefreshTokens:      true,
			RequirePayeeConfirmation: true,
		},
		Limits: Limits{
			PerPayment:   "5000.00",
			PerDay:       "10000.00",
			PerMonth:     "50000.00",
			PerDayCount:  20,
			ConsentTotal: "",
		},
		Security: Security{SecretStore: StoreAuto, FileStorePassphrase: true, IdleLock: Duration{5 * time.Minute}},
		PKCS11:   PKCS11{PINSource: "prompt"},
	}
}

// DefaultDataDir follows the XDG base directory spec: $XDG_DATA_HOME/payterm, else
// ~/.local/share/payterm.
func DefaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "payterm")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "payterm")
	}
	return filepath.Join(os.TempDir(), "payterm")
}

// DefaultPath is where the config file is looked for when --config is not given:
// $XDG_CONFIG_HOME/payterm/config.toml.
func DefaultPath() string {
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "payterm", "config.toml")
	}
	return ""
}

// Load reads path over the defaults. A missing file at the default path is not an error (the
// defaults run the embedded sandbox); a missing file that was asked for explicitly is.
func Load(path string, explicit bool) (Config, error) {
	cfg := Default()
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
	case errors.Is(err, os.ErrNotExist) && !explicit:
		return cfg, cfg.Validate()
	default:
		return Config{}, fmt.Errorf("read config %s: %w", path, err)
	}
	if err := Parse(data, &cfg); err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes TOML over cfg (which carries the defaults) and validates the result.
func Parse(data []byte, cfg *Config) error {
	md, err := toml.Decode(string(data), cfg)
	if err != nil {
		return fmt.Errorf("not valid TOML: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return fmt.Errorf("unknown setting %s (see config.example.toml for every setting)", strings.Join(keys, ", "))
	}
	for i := range cfg.Banks {
		cfg.Banks[i] = withBankDefaults(cfg.Banks[i])
	}
	return cfg.Validate()
}

// Validate checks every value and says which setting is wrong and what is expected.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, why string) { errs = append(errs, fmt.Errorf("%s: %s", key, why)) }

	if c.DataDir == "" || !filepath.IsAbs(expandHome(c.DataDir)) {
		bad("data_dir", "must be an absolute path (or start with ~/)")
	}
	ids, names := map[string]string{}, map[string]string{}
	for i, b := range c.AllBanks() {
		key := "bank"
		if i > 0 {
			key = fmt.Sprintf("banks[%d]", i-1)
		}
		errs = append(errs, b.validate(key, i == 0, c.PKCS11.Enabled())...)
		if i == 0 && (b.Provider == ProviderBerlinGroup || b.Provider == ProviderFintecture || b.Provider == ProviderOP) {
			bad("bank.provider", "[bank] is the UAE bank payterm sets up first; add a Berlin Group or Fintecture bank as a [[banks]] entry (see config.example.toml)")
		}
		if prev, dup := ids[b.ID]; dup && b.ID != "" {
			bad(key+".id", fmt.Sprintf("%q is already the id of %s", b.ID, prev))
		}
		if prev, dup := names[strings.ToLower(b.Name)]; dup {
			bad(key+".name", fmt.Sprintf("%q is already the name of %s; two banks need names you can tell apart", b.Name, prev))
		}
		ids[b.ID], names[strings.ToLower(b.Name)] = key, key
	}
	if err := checkAmount(c.Sandbox.DebtorBalance, false, true); err != nil {
		bad("sandbox.debtor_balance", err.Error())
	}
	if c.Sandbox.SettleAfter.Duration < 0 || c.Sandbox.CreditAfter.Duration < c.Sandbox.SettleAfter.Duration {
		bad("sandbox.credit_after", "must be at least sandbox.settle_after, and neither negative")
	}
	if d := c.Sandbox.ClockLeeway.Duration; d < time.Second || d > 5*time.Minute {
		bad("sandbox.clock_leeway", "must be between 1s and 5m")
	}
	if d := c.Sandbox.SCAMaxAge.Duration; d < 30*time.Second || d > 30*time.Minute {
		bad("sandbox.sca_max_age", "must be between 30s and 30m")
	}
	for i, h := range c.Sandbox.AccountHolders {
		h.validate(fmt.Sprintf("sandbox.account_holders[%d]", i), bad)
	}
	for key, v := range map[string]string{
		"limits.per_payment": c.Limits.PerPayment, "limits.per_day": c.Limits.PerDay,
		"limits.per_month": c.Limits.PerMonth, "limits.consent_total": c.Limits.ConsentTotal,
	} {
		if err := checkAmount(v, true, false); err != nil {
			bad(key, err.Error())
		}
	}
	if c.Limits.PerDayCount < 0 {
		bad("limits.per_day_count", "must be 0 (no limit) or more")
	}
	switch c.Security.SecretStore {
	case StoreAuto, StoreKeyring, StoreFile:
	default:
		bad("security.secret_store", fmt.Sprintf("must be %q, %q or %q", StoreAuto, StoreKeyring, StoreFile))
	}
	if d := c.Security.IdleLock.Duration; d < 30*time.Second || d > 5*time.Minute {
		bad("security.idle_lock", "must be between 30s and 5m (the SCA rules allow at most 5 minutes idle)")
	}
	errs = append(errs, c.PKCS11.validate()...)
	return errors.Join(errs...)
}

// AllBanks returns [bank] and then every [[banks]] entry, with [bank]'s empty id resolved.
func (c Config) AllBanks() []Bank {
	first := c.Bank
	if first.ID == "" && first.Mode == ModeSandbox {
		first.ID = DefaultSandboxID
	}
	return append([]Bank{first}, c.Banks...)
}

// DefaultSandboxID is the id of the embedded bank in [bank] when the file names none.
const DefaultSandboxID = "sandbox"

// withBankDefaults fills what a [[banks]] entry left out with [bank]'s defaults; its id and
// name have none, since two banks must differ in both.
func withBankDefaults(b Bank) Bank {
	d := Default().Bank
	for _, f := range []struct {
		v   *string
		def string
	}{
		{&b.Mode, d.Mode}, {&b.RedirectURI, d.RedirectURI}, {&b.Provider, d.Provider},
		{&b.CustomerIPAddress, d.CustomerIPAddress}, {&b.DefaultPurposeCode, d.DefaultPurposeCode},
	} {
		if *f.v == "" {
			*f.v = f.def
		}
	}
	return b
}

// validate checks [pkcs11]. Its settings only mean something with a module.
func (p PKCS11) validate() []error {
	var errs []error
	bad := func(k, why string) { errs = append(errs, fmt.Errorf("pkcs11.%s: %s", k, why)) }
	if _, err := pkcs11key.ParsePINSource(p.PINSource); err != nil {
		bad("pin_source", err.Error())
	}
	if !p.Enabled() {
		if p.TokenLabel != "" || p.TokenSerial != "" {
			bad("module", "is required when a token is named: the path of the token's PKCS#11 library, e.g. \"/usr/lib/softhsm/libsofthsm2.so\"")
		}
		return errs
	}
	if !filepath.IsAbs(expandHome(p.Module)) {
		bad("module", "must be the absolute path of the PKCS#11 library, e.g. \"/usr/lib/softhsm/libsofthsm2.so\"")
	}
	if (p.TokenLabel == "") == (p.TokenSerial == "") {
		bad("token_label", "give exactly one of pkcs11.token_label and pkcs11.token_serial to pick the token")
	}
	return errs
}

// ResolvedModule is Module with a leading ~/ expanded.
func (p PKCS11) ResolvedModule() string { return expandHome(p.Module) }

// validate checks one bank; key is how the file names it ("bank", "banks[0]"); inToken says
// whether [pkcs11] holds the private keys.
func (b Bank) validate(key string, first, inToken bool) []error {
	var errs []error
	bad := func(k, why string) { errs = append(errs, fmt.Errorf("%s.%s: %s", key, k, why)) }
	switch {
	case b.ID == "" && (!first || b.Mode == ModeRemote):
		bad("id", "is required: a short name like \"mybank\" that the ledger records with each consent (never reuse one)")
	case b.ID != "" && !validID(b.ID):
		bad("id", "must be 1 to 32 lowercase letters, digits or dashes, starting with a letter or digit")
	}
	if strings.TrimSpace(b.Name) == "" {
		bad("name", "is required: the bank's name as the wallet shows it")
	}
	if len(b.OwnAccounts) > 0 && b.Provider != ProviderOP {
		bad("own_accounts", "is an OP setting: it needs provider = \"op\"")
	}
	switch {
	case b.Exemption != "" && b.Provider != ProviderOP:
		bad("exemption", "is an OP setting: it needs provider = \"op\"")
	case b.Exemption != "" && b.Exemption != ExemptionOn && b.Exemption != ExemptionOff:
		bad("exemption", "must be \"on\" (OP's exemption flow for small payments, the default) or \"off\" (OP's page for every payment)")
	}
	switch b.Provider {
	case ProviderUAE, "":
		for k, v := range map[string]string{"profile": b.Profile, "account": b.Account, "account_holder": b.AccountHolder,
			"currency": b.Currency, "psu_id": b.PSUID, "sca_approach": b.SCAApproach} {
			if v != "" {
				bad(k, "is a Berlin Group setting: it needs provider = \"berlin-group\"")
			}
		}
		if b.PayerEmail != "" {
			bad("payer_email", "is a Fintecture setting: it needs provider = \"fintecture\"")
		}
	case ProviderBerlinGroup:
		b.validateBerlinGroup(bad)
		if b.PayerEmail != "" {
			bad("payer_email", "is a Fintecture setting: it needs provider = \"fintecture\"")
		}
		return errs
	case ProviderFintecture:
		b.validateFintecture(bad)
		return errs
	case ProviderOP:
		b.validateOP(bad)
		return errs
	default:
		bad("provider", fmt.Sprintf("must be %q, %q, %q or %q", ProviderUAE, ProviderBerlinGroup, ProviderFintecture, ProviderOP))
	}
	b.validateUAE(key, inToken, bad)
	return errs
}

func validID(s string) bool {
	if len(s) == 0 || len(s) > 32 || s[0] == '-' {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}

// ResolvedDataDir returns DataDir with a leading ~/ expanded.
func (c Config) ResolvedDataDir() string { return expandHome(c.DataDir) }

func expandHome(p string) string {
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	return p
}
