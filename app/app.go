package app

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/internal/ctxsleep"
	"github.com/payterm/payterm/internal/pkcs11key"
	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/provider/uae"
	"github.com/payterm/payterm/risk"
	"github.com/payterm/payterm/sandbox"
	xs2abank "github.com/payterm/payterm/sandbox/xs2a"
	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// Options tune Open beyond the config file. The zero value is production.
type Options struct {
	// Clock is the wallet's time (ledger, payments, consent flow); nil = time.Now.
	Clock func() time.Time
	// SCAClock is the authenticator's time (TOTP steps, challenge times); nil = Clock. Tests
	// move it so every payment uses a fresh TOTP step without waiting 30 s.
	SCAClock func() time.Time
	// Rand feeds ids and salts; nil = crypto/rand.
	Rand io.Reader
	// KDF is the argon2id cost of the PIN and of a new encrypted secrets file; zero = the
	// packages' production defaults. Below the OWASP minimum only with AllowWeakKDF (tests).
	KDF          keystore.KDFParams
	AllowWeakKDF bool
	// MachineSecret replaces the machine binding of the encrypted secrets file (tests).
	MachineSecret func() ([]byte, error)
	// Passphrase asks for the encrypted secrets file's passphrase (keystore.Options.Passphrase);
	// nil = none can be asked, so a file that needs one does not open. main asks on the terminal.
	Passphrase func(choose bool) ([]byte, error)
	// PassphraseOnScreen: a secrets file that already has a passphrase waits for it to be typed
	// on the TUI's Unlock screen (App.UnlockSecrets) and opens in the background meanwhile,
	// instead of Open asking Passphrase before it returns. Choosing a passphrase still uses
	// Passphrase. RunWallet sets it; the CLI commands do not.
	PassphraseOnScreen bool
	// PassphraseRefused, when set, is told that the passphrase typed did not open the secrets
	// file and how many tries are left before the start is abandoned (Passphrase is then asked
	// again: passphraseTries in all). main says it on the terminal.
	PassphraseRefused func(triesLeft int)
	// TokenPIN asks for the PKCS#11 token's user PIN when [pkcs11] pin_source = "prompt";
	// token names the token. nil = none can be asked. main asks on the terminal.
	TokenPIN func(token string) ([]byte, error)
	// LedgerUpgrade is told when an existing ledger is migrated to this build's schema, before
	// and after (wallet.LedgerOptions.OnUpgrade); nil = nobody is told. main says it on stderr.
	LedgerUpgrade func(wallet.LedgerUpgrade)
	// Sleep waits between payment status polls and in the background loop (resuming open
	// payments with back-off, syncing consents every 15 minutes); nil = a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Device and App override what risk detects about this machine and build.
	Device *risk.Device
	App    *risk.App

	// resetting is set by Reset: Open accepts a wallet whose last reset was interrupted and
	// starts no background work, so no consent sync races the revocations.
	resetting bool
	// startWorkAtLatest replaces the const of that name when set (tests that must close before
	// the timer could release the held start-up work, however slow a -race run is).
	startWorkAtLatest time.Duration
}

// App is one running wallet on one data dir.
type App struct {
	cfg  config.Config
	opts Options
	dir  string
	lock *dirLock

	banks   []*bankConn      // config order: [bank], then [[banks]]
	token   *pkcs11key.Token // the [pkcs11] token holding the TPP keys, or nil for PEM files
	store   keystore.Store   // a *laterStore while it opens in the background (secrets.go)
	auth    *sca.Authenticator
	tokens  *uae.ConsentTokens
	ledger  *wallet.Ledger
	wallet  *wallet.Wallet
	trace   *trace
	flight  flight          // what is running now, for the inspector's "now"
	paying  paying          // the pay screens' payments in flight (standards.go)
	bundles preparedBundles // bundles prepared and not yet paid (opbundle.go)
	feed    feed            // what the ledger records, for the screens (feed.go)
	sealed  *sealedLog      // the payment PII plaintexts sealed this run, for the inspector
	guard   consent.CodeGuard
	device  risk.Device
	build   risk.App

	secretsOpening sync.WaitGroup  // the background open of the store, when there is one
	gate           *passphraseGate // the Unlock screen's passphrases, when it asks (unlocksecrets.go)
	startWork      startWork       // held until Home's first frame is out (startwork.go)

	keeper   *keeper // nil while resetting
	bgCtx    context.Context
	bgCancel context.CancelFunc
	bg       sync.WaitGroup
	bgMu     sync.Mutex
	bgErr    error
	started  chan struct{} // closed when the start-up work is done

	ob onboardingState

	closeOnce sync.Once
	closeErr  error
}

// Open assembles the wallet for cfg. It takes the data dir lock, starts an embedded sandbox
// for every bank whose mode is "sandbox", and then resumes unfinished payments and syncs consent statuses
// in the background, so the first frame never waits on the bank.
func Open(ctx context.Context, cfg config.Config, opts Options) (a *App, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.SCAClock == nil {
		opts.SCAClock = opts.Clock
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	dir := cfg.ResolvedDataDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("protect data dir: %w", err)
	}
	lock, err := lockDataDir(dir)
	if err != nil {
		return nil, err
	}
	a = &App{cfg: cfg, opts: opts, dir: dir, lock: lock, trace: newTrace()}
	a.startWork.init(cmp.Or(opts.startWorkAtLatest, startWorkAtLatest))
	// The returns below set a to nil on failure; keep the half-built App to undo it.
	partial := a
	defer func() {
		if err != nil {
			_ = partial.closeParts()
		}
	}()
	if err := a.openBanks(ctx); err != nil {
		return nil, err
	}
	if err := a.openSecrets(); err != nil {
		return nil, err
	}
	if _, later := a.store.(*laterStore); !later {
		if err := a.restoreSessions(); err != nil {
			return nil, err
		}
		if err := a.restoreOPTokens(a.store); err != nil {
			return nil, err
		}
	}
	if err := a.openWallet(ctx); err != nil {
		return nil, err
	}
	a.started = make(chan struct{})
	if opts.resetting {
		close(a.started)
		return a, nil
	}
	rec, ok, err := a.loadResetRecord(ctx)
	if errors.Is(err, errResetRecordDamaged) || (ok && rec.pending()) {
		return nil, ErrResetUnfinished
	}
	if err != nil {
		return nil, err
	}
	if err := a.linkBerlinGroup(ctx); err != nil {
		return nil, err
	}
	sleep := opts.Sleep
	if sleep == nil {
		sleep = ctxsleep.For
	}
	a.keeper = newKeeper(opts.Clock, sleep, a.resumeOpen, a.wallet.SyncConsents)
	a.bgCtx, a.bgCancel = context.WithCancel(context.Background())
	a.bg.Add(1)
	go a.background()
	return a, nil
}

// openSecrets opens the secret store and the SCA on it. When the open cannot ask the user
// anything (secretsCanWait), only the SCA is made now and the store opens in the background
// (secrets.go): its argon2id (~0.1–0.25 s) then no longer delays the first frame.
func (a *App) openSecrets() error {
	if wait, onScreen := a.secretsCanWait(); wait {
		var gate *passphraseGate
		if onScreen {
			gate = newPassphraseGate()
		}
		return a.openSecretsLater(gate)
	}
	store, err := a.openStore(a.opts.Passphrase, a.opts.PassphraseRefused)
	if err != nil {
		return err
	}
	return a.openSCA(store)
}

// openStore opens the secret store, asking for the passphrase when the file needs one (ask)
// and telling refused of each wrong one but the last.
func (a *App) openStore(ask func(choose bool) ([]byte, error), refused func(triesLeft int)) (keystore.Store, error) {
	// A mistyped passphrase is asked again, passphraseTries times in all, each refusal said.
	var store keystore.Store
	var err error
	for try := 1; ; try++ {
		store, err = keystore.Open(keystore.Options{DataDir: a.dir, Mode: keystore.Mode(a.cfg.Security.SecretStore),
			UsePassphrase: a.cfg.Security.FileStorePassphrase, Passphrase: ask,
			Rand: a.opts.Rand, FileKDF: a.opts.KDF, AllowWeakKDF: a.opts.AllowWeakKDF, MachineSecret: a.opts.MachineSecret})
		if !errors.Is(err, keystore.ErrWrongPassphrase) || try >= passphraseTries {
			break
		}
		if refused != nil {
			refused(passphraseTries - try)
		}
	}
	switch {
	case errors.Is(err, keystore.ErrWrongPassphrase):
		return nil, &ui.Problem{What: fmt.Sprintf("The passphrase of payterm's secrets file was not right %d times (or the file was edited, or copied from another machine).", passphraseTries),
			Next: "Start payterm again to retry.", Err: err}
	case errors.Is(err, ErrNoTerminal):
		return nil, &ui.Problem{What: "payterm keeps its secrets in an encrypted file here, which needs its passphrase, but there is no terminal to ask on.",
			Next: "Run payterm in a terminal, or use the OS keyring (see SECURITY.md).", Err: err}
	case err != nil:
		return nil, fmt.Errorf("open secret store: %w", err)
	}
	// argon2id's 64 MiB are garbage now: give them back to the OS instead of keeping them
	// resident for the whole session (RSS at idle was ~90 MB).
	debug.FreeOSMemory()
	// The idle lock now uses sca.VerifyPIN; an older wallet's own verifier must not linger.
	if err := removeLegacyUnlockVerifier(a.dir, store); err != nil {
		return nil, err
	}
	return store, nil
}

// openSCA makes the authenticator on store (it reads nothing until used).
func (a *App) openSCA(store keystore.Store) error {
	a.store = store
	auth, err := sca.Open(sca.Config{DataDir: a.dir, Store: store, Clock: a.opts.SCAClock, Rand: a.opts.Rand,
		PINKDF: a.opts.KDF, AllowWeakKDF: a.opts.AllowWeakKDF})
	if err != nil {
		return fmt.Errorf("open SCA: %w", err)
	}
	a.auth = auth
	return nil
}

func (a *App) openWallet(ctx context.Context) error {
	ledger, err := wallet.OpenLedger(ctx, a.dir, wallet.LedgerOptions{Now: a.opts.Clock, OnChange: a.feed.publish,
		OnUpgrade: a.opts.LedgerUpgrade})
	if err != nil {
		return fmt.Errorf("open ledger: %w", err)
	}
	a.ledger = ledger
	l := a.cfg.Limits
	limits, err := wallet.LimitsFromStrings(l.PerPayment, l.PerDay, l.PerMonth, l.PerDayCount, l.ConsentTotal)
	if err != nil {
		return fmt.Errorf("limits: %w", err)
	}
	if err := adoptLegacyBankNames(ctx, ledger, a.cfg.AllBanks()); err != nil {
		return err
	}
	a.device = risk.DetectDevice()
	if a.opts.Device != nil {
		a.device = *a.opts.Device
	}
	a.build = risk.AppFromBuild()
	if a.opts.App != nil {
		a.build = *a.opts.App
	}
	app := a.build
	// The inspector shows what was sealed; masked when recorded unless every bank is a sandbox.
	a.sealed = newSealedLog(a.onlySandboxes())
	bankOf := func(ctx context.Context, consentID string) (string, error) {
		c, err := ledger.Consent(ctx, consentID)
		return c.Bank, err
	}
	a.tokens = uae.NewConsentTokens(tokenStore{a.store}, uae.RefreshByBank(bankOf, a.refreshByBank()), a.opts.Clock)
	banks, err := a.walletBanks(a.tokens, app)
	if err != nil {
		return err
	}
	w, err := wallet.New(wallet.Config{Ledger: ledger, Banks: banks, SCA: a.auth,
		Limits: limits, Clock: a.opts.Clock, Rand: a.opts.Rand, Sleep: a.opts.Sleep})
	if err != nil {
		return fmt.Errorf("wallet: %w", err)
	}
	a.wallet = w
	return nil
}

func userAgent(app risk.App) string {
	if app.Version != "" {
		return "payterm/" + app.Version
	}
	return "payterm"
}

// background runs the keeper (keeper.go): the start-up resume and sync, then open payments
// resumed with back-off and the consents synced every syncEvery. Failures are kept for
// WaitStartup; they never block a screen.
func (a *App) background() {
	defer a.bg.Done()
	if !a.startWork.wanted() { // closed before the first frame: no start-up work
		close(a.started)
		return
	}
	a.keeper.run(a.bgCtx, func(err error) {
		a.bgMu.Lock()
		a.bgErr = err
		a.bgMu.Unlock()
		close(a.started)
	})
}

// resumeOpen resumes every payment that is not final and returns how many still are. While it
// works, the inspector lights the status polls.
func (a *App) resumeOpen(ctx context.Context) (int, error) {
	open, err := a.ledger.OpenPayments(ctx)
	if err != nil {
		return 1, err // unknown: try again after the back-off
	}
	if len(open) == 0 {
		return 0, nil
	}
	run := a.flight.start(seqGet)
	defer a.flight.end(run)
	rerr := a.wallet.Resume(ctx, nil)
	if open, err = a.ledger.OpenPayments(ctx); err != nil {
		return 1, errors.Join(rerr, err)
	}
	return len(open), rerr
}

// WaitStartup waits for the start-up work (resume, consent sync) and returns its error.
func (a *App) WaitStartup(ctx context.Context) error {
	a.startWork.release() // someone waits for it: no reason to hold it for a frame
	select {
	case <-a.started:
	case <-ctx.Done():
		return ctx.Err()
	}
	a.bgMu.Lock()
	defer a.bgMu.Unlock()
	return a.bgErr
}

// Registered reports whether Open registered the TPP at the first bank's sandbox: a new
// identity on the first run, or an update of the same client after bank.redirect_uri changed.
func (a *App) Registered() bool { return a.banks[0].registered }

// ClientID is the TPP's client_id at the first bank.
func (a *App) ClientID() string { return a.banks[0].id.ClientID }

// Sandbox returns the first bank's embedded sandbox, or nil when it is remote (tests use it).
func (a *App) Sandbox() *sandbox.Bank { return a.banks[0].sandbox }

// SandboxOf returns the embedded sandbox of the bank with that id, or nil.
func (a *App) SandboxOf(bankID string) *sandbox.Bank {
	if bc, ok := a.bankByID(bankID); ok {
		return bc.sandbox
	}
	return nil
}

// XS2ABankOf is the embedded Berlin Group bank of the bank with that id (nil when it has none).
func (a *App) XS2ABankOf(bankID string) *xs2abank.Bank {
	if bc, ok := a.bankByID(bankID); ok && bc.bg != nil {
		return bc.bg.bank
	}
	return nil
}

// DataDir is the resolved data directory.
func (a *App) DataDir() string { return a.dir }

// Close stops the background work and the bank listeners and releases the data dir. Calls the
// UI still has in flight afterwards fail with an error (the ledger is closed); they never panic.
func (a *App) Close() error {
	a.startWork.stop()
	if a.gate != nil {
		a.gate.close() // a start-up sync waiting for a secret ends with the open, now
	}
	if a.bgCancel != nil {
		a.bgCancel()
	}
	a.bg.Wait()
	return a.closeParts()
}

func (a *App) closeParts() error {
	a.closeOnce.Do(func() {
		// A store still opening may write (a new file, the old verifier's removal): it ends
		// before the data dir is released. Held back for the first frame, it starts now.
		a.startWork.stop()
		if a.gate != nil {
			a.gate.close()
		}
		a.secretsOpening.Wait()
		a.ob.closeAll()
		var errs []error
		if a.ledger != nil {
			errs = append(errs, a.ledger.Close())
		}
		for _, bc := range a.banks {
			if bc.hc != nil {
				bc.hc.CloseIdleConnections()
			}
			if bc.sandbox != nil {
				errs = append(errs, bc.sandbox.Close())
			}
			if bc.bg != nil {
				errs = append(errs, bc.bg.bank.Close())
			}
			if bc.ft != nil {
				errs = append(errs, bc.ft.hub.Close())
			}
			if bc.op != nil {
				errs = append(errs, bc.op.Close())
			}
		}
		// Last: the bank clients above hold signers of the token.
		if a.token != nil {
			errs = append(errs, a.token.Close())
		}
		a.lock.release()
		a.closeErr = errors.Join(errs...)
	})
	return a.closeErr
}
