package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// RunWallet is `payterm`: open the wallet, run the terminal UI until the user quits, close.
func RunWallet(ctx context.Context, cfg config.Config) (err error) {
	// An existing secrets file's passphrase is typed on the Unlock screen (the first frame no
	// longer waits for it and for argon2id); a new one is still chosen on the terminal.
	a, err := Open(ctx, cfg, Options{Passphrase: TerminalPassphrase(), PassphraseRefused: TerminalPassphraseRefused(), TokenPIN: TerminalTokenPIN(),
		PassphraseOnScreen: true, LedgerUpgrade: LedgerUpgradeNotice(os.Stderr)})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, a.Close()) }()
	return ui.Run(ctx, a.UIWallet(), a.screenOptions(ctx))
}

// uiOptions is what the terminal UI takes from the configuration (with main's --accessible and
// --no-color already applied to it).
func uiOptions(ctx context.Context, cfg config.Config) ui.Options {
	return ui.Options{Accessible: cfg.UI.Accessible, NoColor: cfg.UI.NoColor,
		IdleTimeout: cfg.Security.IdleLock.Duration,
		OpenURL:     func(u string) error { return consent.SystemOpener(ctx, u) },
		CrashDir:    cfg.ResolvedDataDir()}
}

// screenOptions is uiOptions plus, when the secrets file waits for its passphrase, the Unlock
// screen's way to hand it over.
func (a *App) screenOptions(ctx context.Context) ui.Options {
	o := uiOptions(ctx, a.cfg)
	if a.WaitsForPassphrase() {
		o.UnlockSecrets = a.UnlockSecrets
	}
	return o
}

// openLedgerOnly opens the ledger of an existing data dir for reading. It takes no data dir
// lock and starts no bank: scripts may read while the wallet runs (SQLite WAL allows it).
func openLedgerOnly(ctx context.Context, cfg config.Config) (*wallet.Ledger, error) {
	dir := cfg.ResolvedDataDir()
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("no payterm data in %s (run payterm once first): %w", dir, err)
	}
	// stderr, so the notice never mixes into the CSV or JSON on stdout.
	l, err := wallet.OpenLedger(ctx, dir, wallet.LedgerOptions{OnUpgrade: LedgerUpgradeNotice(os.Stderr)})
	if err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	return l, nil
}

// ExportHistory writes every payment, newest first, as CSV or JSON (wallet.ExportRow field
// names). Payee names, IBANs and references are PII and only written withPII.
func ExportHistory(ctx context.Context, cfg config.Config, w io.Writer, format string, withPII bool) (err error) {
	return ExportHistoryFiltered(ctx, cfg, w, format, withPII, wallet.HistoryFilter{})
}

// Status writes the consents, limits in force, usage and recent payments as JSON for scripts
// (wallet.StatusReport: stable names, no secrets, no PII).
func Status(ctx context.Context, cfg config.Config, w io.Writer) (err error) {
	defaults, err := wallet.LimitsFromStrings(cfg.Limits.PerPayment, cfg.Limits.PerDay, cfg.Limits.PerMonth, cfg.Limits.PerDayCount, cfg.Limits.ConsentTotal)
	if err != nil {
		return fmt.Errorf("limits: %w", err)
	}
	l, err := openLedgerOnly(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, l.Close()) }()
	var banks []string
	for _, b := range cfg.AllBanks() {
		banks = append(banks, b.ID)
	}
	return l.WriteStatusJSON(ctx, w, wallet.StatusOptions{Defaults: defaults, Banks: banks, BankReports: bankReports(cfg)})
}

// bankReports are the configured banks as the status report lists them: read from the config
// alone (status and history open no bank), so a provider added later reports its own
// provider and currency without code here.
func bankReports(cfg config.Config) []wallet.BankReport {
	var out []wallet.BankReport
	for _, b := range cfg.AllBanks() {
		r := wallet.BankReport{ID: b.ID, Provider: b.Provider, Profile: b.Profile, Currency: b.Currency}
		if r.Provider == "" {
			r.Provider = config.ProviderUAE
		}
		if r.Provider == config.ProviderUAE {
			// A UAE bank pays in dirhams; its config has no currency (and a profile means nothing there).
			r.Currency, r.Profile = "AED", ""
		}
		out = append(out, r)
	}
	return out
}

// providersOf maps each configured bank's id to its provider, for the history's rows.
func providersOf(cfg config.Config) map[string]string {
	m := map[string]string{}
	for _, r := range bankReports(cfg) {
		m[r.ID] = r.Provider
	}
	return m
}
