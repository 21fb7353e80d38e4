package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/payterm/payterm/app"
	"github.com/payterm/payterm/sandbox"
	fthub "github.com/payterm/payterm/sandbox/fintecture"
	opbank "github.com/payterm/payterm/sandbox/op"
	xs2abank "github.com/payterm/payterm/sandbox/xs2a"
)

// runWallet is `payterm`: the terminal wallet, on the embedded sandbox unless configured otherwise.
// Its screens read keys from stdin or, when stdin is not a terminal, from the controlling
// terminal (/dev/tty); with neither it is refused before anything is opened, with what to run
// instead (Bubble Tea's own error, "could not open a new TTY", came only after the ledger, the
// banks and the secrets had been opened).
func runWallet(ctx context.Context, g globalFlags, stdin io.Reader) error {
	if !isTerminal(stdin) && !controllingTerminal() {
		return usageError("the wallet's screens need a terminal, and this process has none (stdin is not one and there is no controlling terminal). " +
			"Run payterm in a terminal; scripts can read the wallet with 'payterm history' and 'payterm status --json'")
	}
	cfg, err := loadConfig(g)
	if err != nil {
		return err
	}
	return app.RunWallet(ctx, cfg)
}

// runHistory is `payterm history`: the ledger as CSV or JSON, without PII unless asked.
// The filter flags are checked before anything is opened; a bad one is a usage error.
func runHistory(ctx context.Context, g globalFlags, format string, withPII bool, hf app.HistoryFlags, stdout io.Writer) error {
	if format != "csv" && format != "json" {
		return usageError(fmt.Sprintf("--format must be csv or json, not %q", format))
	}
	filter, err := app.ParseHistoryFlags(hf, time.Local)
	if err != nil {
		return usageError(err.Error())
	}
	cfg, err := loadConfig(g)
	if err != nil {
		return err
	}
	return app.ExportHistoryFiltered(ctx, cfg, stdout, format, withPII, filter)
}

// runStatus is `payterm status --json`.
func runStatus(ctx context.Context, g globalFlags, stdout io.Writer) error {
	cfg, err := loadConfig(g)
	if err != nil {
		return err
	}
	return app.Status(ctx, cfg, stdout)
}

// runReset is `payterm reset`. Without --yes it needs a terminal on stdin to ask on: a script
// or CI job with no stdin is refused before anything is opened.
func runReset(ctx context.Context, g globalFlags, yes bool, stdin io.Reader, stdout io.Writer) error {
	confirm := app.ResetConfirmation{Yes: yes}
	if isTerminal(stdin) {
		confirm.In = stdin
	}
	if !confirm.Yes && confirm.In == nil {
		return usageError(app.ErrResetNeedsConfirmation.Error())
	}
	cfg, err := loadConfig(g)
	if err != nil {
		return err
	}
	return app.Reset(ctx, cfg, app.Options{Passphrase: app.TerminalPassphrase(), PassphraseRefused: app.TerminalPassphraseRefused(), TokenPIN: app.TerminalTokenPIN()}, confirm, stdout)
}

// csrFlags are `payterm csr`'s own: the bank and the Trust Framework subject.
type csrFlags struct {
	bank, org, orgID, cn, country, out string
}

func (o *csrFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.bank, "bank", "", "id of the bank whose keys the requests are for (required)")
	fs.StringVar(&o.org, "org", "", "O: your organisation's legal name")
	fs.StringVar(&o.orgID, "org-id", "", "OU: your Trust Framework organisation id")
	fs.StringVar(&o.cn, "cn", "", "CN (default: the bank's client_id)")
	fs.StringVar(&o.country, "country", "AE", "C")
	fs.StringVar(&o.out, "out", "", "write <bank>-transport.csr and <bank>-signing.csr into this directory (default: print both)")
}

// runCSR is `payterm csr`: certificate requests for the bank's keys in the [pkcs11] token.
func runCSR(ctx context.Context, g globalFlags, o csrFlags, stdout io.Writer) error {
	if o.bank == "" {
		return usageError("csr needs --bank ID")
	}
	cfg, err := loadConfig(g)
	if err != nil {
		return err
	}
	csrs, err := app.TokenCSR(ctx, cfg, app.Options{TokenPIN: app.TerminalTokenPIN()}, o.bank,
		app.CSRSubject{Country: o.country, Org: o.org, OrgID: o.orgID, CommonName: o.cn})
	if err != nil {
		return err
	}
	if o.out == "" {
		return csrs.WriteTo(o.bank, stdout)
	}
	for _, f := range []struct {
		use  string
		data []byte
	}{{"transport", csrs.Transport}, {"signing", csrs.Signing}} {
		p := filepath.Join(o.out, o.bank+"-"+f.use+".csr")
		if err := os.WriteFile(p, f.data, 0o644); err != nil { // a request is public
			return fmt.Errorf("write the %s request: %w", f.use, err)
		}
		fmt.Fprintf(stdout, "%s certificate request: %s\n", f.use, p)
	}
	return nil
}

// controllingTerminal reports whether this process has a terminal Bubble Tea can read keys
// from when stdin is not one. Tests replace it.
var controllingTerminal = func() bool {
	if runtime.GOOS == "windows" {
		return true // Bubble Tea opens the console there (CONIN$); nothing to check here
	}
	f, err := os.Open("/dev/tty")
	if err != nil {
		return false
	}
	_ = f.Close()
	return true
}

// isTerminal reports whether r is a terminal (not a pipe, a file or /dev/null).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && f != nil && term.IsTerminal(int(f.Fd()))
}

// sandboxFlags are `payterm sandbox`'s own: where each of the bank's hosts listens.
type sandboxFlags struct {
	bankDir                                   string
	issuerAddr, authorizeAddr, asAddr, rsAddr string
	adminAddr                                 string
	autoApprove                               bool
	// standard is "uae" (the default), "berlin-group", "fintecture" or "op"; profile is the Berlin
	// Group bank's reading (bg, sb1, bog).
	standard, profile string
	// payerAccounts (op): one "[payer=]IBAN[,IBAN…]" per payer, repeatable; read into
	// opAccounts by check.
	payerAccounts stringList
	opAccounts    map[string][]string
}

func (o *sandboxFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.bankDir, "bank-dir", "", "the bank's state, CA and keys (default <data dir>/sandbox-standalone)")
	fs.StringVar(&o.issuerAddr, "issuer-addr", "127.0.0.1:0", "listen address of the issuer host (discovery, JWKS, registration)")
	fs.StringVar(&o.authorizeAddr, "authorize-addr", "127.0.0.1:0", "listen address of the consent page")
	fs.StringVar(&o.asAddr, "as-addr", "127.0.0.1:0", "listen address of PAR and token (mTLS)")
	fs.StringVar(&o.rsAddr, "resource-addr", "127.0.0.1:0", "listen address of the payment API (mTLS)")
	fs.StringVar(&o.adminAddr, "admin-addr", "127.0.0.1:0", "listen address of the admin API (loopback only)")
	fs.BoolVar(&o.autoApprove, "auto-approve", false, "approve consents without showing the page (overrides sandbox.auto_approve)")
	fs.StringVar(&o.standard, "standard", "uae", "the bank's payment standard: uae, berlin-group, fintecture or op")
	fs.StringVar(&o.profile, "profile", "bg", "(berlin-group) the bank's reading of the standard: bg, sb1 or bog")
	fs.Var(&o.payerAccounts, "payer-accounts", "(op) the payer's own accounts at the bank: [payer=]IBAN[,IBAN…] (payer: the authorize page's user, default "+
		opbank.DefaultPayer+"); repeat for another payer")
}

// check refuses flags that do not fit the standard, before anything starts.
func (o *sandboxFlags) check(set map[string]bool) error {
	if set["payer-accounts"] && o.standard != "op" {
		return usageError("--payer-accounts is for --standard op")
	}
	switch o.standard {
	case "uae":
		if set["profile"] {
			return usageError("--profile is for --standard berlin-group")
		}
	case "berlin-group":
		for _, f := range []string{"issuer-addr", "authorize-addr", "as-addr"} {
			if set[f] {
				return usageError("--" + f + " is for --standard uae (a Berlin Group bank listens on --resource-addr and its SCA pages on --authorize-addr)")
			}
		}
		if _, err := xs2abank.ProfileByName(o.profile); err != nil {
			return usageError("--profile must be bg, sb1 or bog")
		}
	case "fintecture":
		for _, f := range []string{"issuer-addr", "authorize-addr", "as-addr", "admin-addr", "profile", "auto-approve"} {
			if set[f] {
				return usageError("--" + f + " is not for --standard fintecture (the hub serves its API, OAuth and Connect page on --resource-addr)")
			}
		}
	case "op":
		for _, f := range []string{"issuer-addr", "as-addr", "admin-addr", "profile", "auto-approve"} {
			if set[f] {
				return usageError("--" + f + " is not for --standard op (the bank serves its mTLS API on --resource-addr and its authorize page on --authorize-addr)")
			}
		}
		accounts, err := opbank.PayerAccountsOf(o.payerAccounts)
		if err != nil {
			return usageError("--payer-accounts: " + err.Error())
		}
		o.opAccounts = accounts
	default:
		return usageError("--standard must be uae, berlin-group, fintecture or op")
	}
	return nil
}

// runSandbox is `payterm sandbox`: the strict bank as a server for any TPP client.
func runSandbox(ctx context.Context, g globalFlags, o sandboxFlags, stdout io.Writer) error {
	cfg, err := loadConfig(g)
	if err != nil {
		return err
	}
	dir := o.bankDir
	if dir == "" {
		dir = filepath.Join(cfg.ResolvedDataDir(), "sandbox-standalone")
		if o.standard == "berlin-group" {
			dir = filepath.Join(cfg.ResolvedDataDir(), "sandbox-standalone-"+o.profile)
		}
		if o.standard == "fintecture" {
			dir = filepath.Join(cfg.ResolvedDataDir(), "sandbox-standalone-fintecture")
		}
		if o.standard == "op" {
			dir = filepath.Join(cfg.ResolvedDataDir(), "sandbox-standalone-op")
		}
	}
	if o.standard == "op" {
		return opbank.RunStandalone(ctx, opbank.StandaloneOptions{DataDir: dir, APIAddr: o.rsAddr, PagesAddr: o.authorizeAddr,
			PayerAccounts: o.opAccounts, Out: stdout})
	}
	if o.standard == "fintecture" {
		return fthub.RunStandalone(ctx, fthub.StandaloneOptions{DataDir: dir, Addr: o.rsAddr, Out: stdout})
	}
	if o.standard == "berlin-group" {
		prof, err := xs2abank.ProfileByName(o.profile)
		if err != nil {
			return err
		}
		s := cfg.Sandbox
		return xs2abank.RunStandalone(ctx, xs2abank.StandaloneOptions{Out: stdout, Config: xs2abank.Config{Profile: &prof, DataDir: dir,
			APIAddr: o.rsAddr, BrowserAddr: o.authorizeAddr, AdminAddr: o.adminAddr, AutoApprove: s.AutoApprove || o.autoApprove,
			SettleAfter: s.SettleAfter.Duration, CreditAfter: s.CreditAfter.Duration - s.SettleAfter.Duration}})
	}
	bankCfg, err := app.SandboxConfig(cfg, cfg.Bank, dir)
	if err != nil {
		return err
	}
	bankCfg.IssuerAddr, bankCfg.AuthorizeAddr, bankCfg.ASAddr, bankCfg.ResourceAddr = o.issuerAddr, o.authorizeAddr, o.asAddr, o.rsAddr
	bankCfg.AdminAddr = o.adminAddr
	bankCfg.AutoApprove = bankCfg.AutoApprove || o.autoApprove
	return sandbox.RunStandalone(ctx, sandbox.StandaloneOptions{Config: bankCfg, Out: stdout})
}

// versionString names the module version and VCS revision the binary was built from.
func versionString() string {
	v, rev, dirty := "(devel)", "", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "+dirty"
				}
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		return fmt.Sprintf("payterm %s (%s%s)", v, rev, dirty)
	}
	return "payterm " + v
}

// stringList is a flag that may be given several times; each value is kept as typed.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, " ") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}
