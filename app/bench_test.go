package app

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/wallet"
)

// The first frame needs Open and one Overview. These benchmarks put a small ledger (the
// baseline, 100 payments) beside a large one (PAYTERM_BENCH_PAYMENTS, default 10,000: seeding
// costs about 1.3 ms a payment, as every record is fsynced) and report the large/small ratio of
// the same operation, measured interleaved in the same run. Payments are spread one hour apart,
// as a real ledger's are, so the limit windows hold what a day or month holds.

const benchSmall = 100

type benchDirs struct {
	small, large config.Config
	n            int
}

var (
	benchOnce sync.Once
	benchEnv  benchDirs
	benchErr  error
	benchRoot string
)

// TestMain removes the benchmarks' data dirs, which outlive any one benchmark.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchRoot != "" {
		_ = os.RemoveAll(benchRoot)
	}
	os.Exit(code)
}

func benchLarge() int {
	if n, err := strconv.Atoi(os.Getenv("PAYTERM_BENCH_PAYMENTS")); err == nil && n > benchSmall {
		return n
	}
	return 10_000
}

// benchData prepares both data dirs once per process: Open (identity, sandbox state), close,
// then seed the ledger directly.
func benchData(b *testing.B) benchDirs {
	b.Helper()
	benchOnce.Do(func() {
		root, err := os.MkdirTemp("", "payterm-bench-")
		if err != nil {
			benchErr = err
			return
		}
		benchRoot = root
		benchEnv.n = benchLarge()
		mk := func(name string, n int) (config.Config, error) {
			cfg := config.Default()
			cfg.DataDir = filepath.Join(root, name)
			cfg.Security.SecretStore = config.StoreFile
			a, err := Open(context.Background(), cfg, testOptions(newSCAClock()))
			if err != nil {
				return cfg, err
			}
			if err := a.Close(); err != nil {
				return cfg, err
			}
			return cfg, seedLedger(cfg.ResolvedDataDir(), n)
		}
		if benchEnv.small, benchErr = mk("small", benchSmall); benchErr != nil {
			return
		}
		benchEnv.large, benchErr = mk("large", benchEnv.n)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchEnv
}

func seedLedger(dir string, n int) error {
	ctx := context.Background()
	now := time.Now()
	var at time.Time
	l, err := wallet.OpenLedger(ctx, dir, wallet.LedgerOptions{Now: func() time.Time { return at }})
	if err != nil {
		return err
	}
	defer l.Close()
	at = now.Add(-time.Duration(n+1) * time.Hour)
	if err := l.InsertConsent(ctx, wallet.Consent{ID: "bench-consent", Bank: "bench", Status: wallet.ConsentAuthorized,
		Created: at, Expires: now.AddDate(1, 0, 0), Model: wallet.BeneficiaryOpen, PurposeCode: "TOF"}); err != nil {
		return err
	}
	if err := l.MarkOnboarded(ctx); err != nil {
		return err
	}
	amt, _ := money.ParseInput("12.34")
	// A real payment's signed request (JWS with the sealed PII) is about 3 KB: rows of that
	// size, so the queries read as many pages as a real ledger's.
	request := []byte(strings.Repeat("eyJhbGciOiJQUzI1NiJ9", 150))
	for i := range n {
		at = now.Add(-time.Duration(n-i) * time.Hour)
		p := &wallet.Payment{ConsentID: "bench-consent", PayeeName: "Bench Payee", PayeeIBAN: ibanFor("033", "0000000000000001"),
			Amount: amt, Currency: "AED", Purpose: "TOF", IdempotencyKey: fmt.Sprintf("bench-%d", i), Request: request,
			RequestExp: at.Add(5 * time.Minute), SCAReceipt: "{}"}
		if err := l.ReservePayment(ctx, p, wallet.Limits{}); err != nil {
			return err
		}
		if err := l.UpdatePaymentStatus(ctx, p.ID, wallet.StatusUpdate{Status: wallet.PaymentSettled, BankStatus: "AcceptedCreditSettlementCompleted",
			BankPaymentID: fmt.Sprintf("PAY-%d", i)}); err != nil {
			return err
		}
	}
	return nil
}

// interleaved runs op on the small and the large setup in turns and reports the large one's
// time per op and the median large/small ratio.
func interleaved(b *testing.B, op func(b *testing.B, cfg config.Config) time.Duration) {
	env := benchData(b)
	ratios := make([]float64, 0, b.N)
	var large time.Duration
	b.ResetTimer()
	for range b.N {
		s := op(b, env.small)
		l := op(b, env.large)
		large += l
		ratios = append(ratios, float64(l)/float64(s))
	}
	b.StopTimer()
	sort.Float64s(ratios)
	b.ReportMetric(float64(large.Nanoseconds())/float64(b.N), "ns/large-op")
	b.ReportMetric(ratios[len(ratios)/2], "large/small")
	b.ReportMetric(float64(env.n), "payments")
}

// BenchmarkOverview: Home's one call on an open wallet.
func BenchmarkOverview(b *testing.B) {
	apps := map[string]*App{}
	defer func() {
		for _, a := range apps {
			_ = a.Close()
		}
	}()
	interleaved(b, func(b *testing.B, cfg config.Config) time.Duration {
		a, ok := apps[cfg.DataDir]
		if !ok {
			var err error
			if a, err = Open(context.Background(), cfg, testOptions(newSCAClock())); err != nil {
				b.Fatal(err)
			}
			apps[cfg.DataDir] = a
		}
		t0 := time.Now()
		ov, err := a.UIWallet().Overview(context.Background())
		d := time.Since(t0)
		if err != nil || !ov.Onboarded || len(ov.Recent) != 5 {
			b.Fatalf("overview: %v %+v", err, ov)
		}
		return d
	})
}

// BenchmarkOpenAndOverviewCheapKDF: Open (bank, keystore, ledger) plus the Overview Home
// shows, in this process, with the tests' cheap KDF and a ledger seeded directly (no bank
// state); Close is outside the measurement. It is the app's share of a start, not a start:
// the real binary's first frame with the production KDF, a 100k ledger and a 100k bank is
// internal/firstframe's BenchmarkFirstFrame.
//
//	go test -run '^$' -bench OpenAndOverviewCheapKDF -benchtime=20x ./app/
func BenchmarkOpenAndOverviewCheapKDF(b *testing.B) {
	interleaved(b, func(b *testing.B, cfg config.Config) time.Duration {
		t0 := time.Now()
		a, err := Open(context.Background(), cfg, testOptions(newSCAClock()))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.UIWallet().Overview(context.Background()); err != nil {
			b.Fatal(err)
		}
		d := time.Since(t0)
		if err := a.Close(); err != nil {
			b.Fatal(err)
		}
		return d
	})
}

// BenchmarkOpenVsKeygen: Open plus Close of an existing wallet (the embedded bank's keys and
// certificates already made) against one RSA-2048 key generation, interleaved; x-keygen is the
// median of the per-iteration ratios. Before the bank kept its server key and certificate (and
// made the wrong-key fault's key only when a fault needs it), every Open generated two RSA
// keys.
//
//	go test -run '^$' -bench OpenVsKeygen -benchtime=20x ./app/
func BenchmarkOpenVsKeygen(b *testing.B) {
	cfg := config.Default()
	cfg.DataDir = b.TempDir()
	cfg.Security.SecretStore = config.StoreFile
	open := func() time.Duration {
		t0 := time.Now()
		a, err := Open(context.Background(), cfg, testOptions(newSCAClock()))
		if err != nil {
			b.Fatal(err)
		}
		if err := a.Close(); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	open() // the first start makes the identity and the bank's keys
	ratios := make([]float64, 0, b.N)
	var inOpen time.Duration
	b.ResetTimer()
	for range b.N {
		o := open()
		t0 := time.Now()
		if _, err := rsa.GenerateKey(rand.Reader, 2048); err != nil {
			b.Fatal(err)
		}
		k := time.Since(t0)
		inOpen += o
		ratios = append(ratios, float64(o)/float64(k))
	}
	b.StopTimer()
	sort.Float64s(ratios)
	b.ReportMetric(float64(inOpen.Microseconds())/float64(b.N)/1000, "ms/open")
	b.ReportMetric(ratios[len(ratios)/2], "x-keygen")
}

// BenchmarkOpenWithPassphrase: with a passphrase on the secrets file (the default), what Home's
// first frame waits for, against the store's own open (keystore.Open: the production argon2id
// and the decryption) measured in the same iteration, on a wallet holding 1,000 payments:
//   - x-store: Open + Home's Overview as the TUI runs it (Options.PassphraseOnScreen: the
//     Unlock screen takes the passphrase, the store opens in the background): the first frame
//     no longer waits for the KDF, so this is well under 1;
//   - x-store-unlocked: from the same Open until the store is open with the passphrase handed
//     over at once (UnlockSecrets), about 1: the KDF is still paid, after the frame;
//   - x-store-foreground: Open + Overview as the CLI commands still open (the passphrase asked
//     before Open returns): what Home waited for before the Unlock screen.
//
// Each is the median of the per-iteration ratios.
//
//	go test -run '^$' -bench OpenWithPassphrase -benchtime=15x ./app/
func BenchmarkOpenWithPassphrase(b *testing.B) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir = b.TempDir()
	cfg.Security.SecretStore = config.StoreFile
	cfg.Security.FileStorePassphrase = true
	opts := testOptions(newSCAClock())
	opts.KDF, opts.AllowWeakKDF = keystore.KDFParams{}, false // the production argon2id
	onScreen := opts
	onScreen.PassphraseOnScreen = true
	foreground := func() time.Duration {
		t0 := time.Now()
		a, err := Open(ctx, cfg, opts)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.UIWallet().Overview(ctx); err != nil {
			b.Fatal(err)
		}
		d := time.Since(t0)
		if err := a.Close(); err != nil {
			b.Fatal(err)
		}
		return d
	}
	unlockScreen := func() (frame, unlocked time.Duration) {
		t0 := time.Now()
		a, err := Open(ctx, cfg, onScreen)
		if err != nil {
			b.Fatal(err)
		}
		ov, err := a.UIWallet().Overview(ctx)
		if err != nil {
			b.Fatal(err)
		}
		frame = time.Since(t0)
		if ov.SecretStore != secretsUnlocking || !a.WaitsForPassphrase() {
			b.Fatalf("Home's first overview does not wait for the Unlock screen: %q", ov.SecretStore)
		}
		if err := a.UnlockSecrets(ctx, []byte(testPassphrase)); err != nil {
			b.Fatal(err)
		}
		unlocked = time.Since(t0)
		if err := a.Close(); err != nil {
			b.Fatal(err)
		}
		return frame, unlocked
	}
	foreground() // makes the identity, the bank's keys and the secrets file
	if err := seedLedger(cfg.ResolvedDataDir(), 1000); err != nil {
		b.Fatal(err)
	}
	storeAlone := func() time.Duration {
		t0 := time.Now()
		s, err := keystore.Open(keystore.Options{DataDir: cfg.ResolvedDataDir(), Mode: keystore.ModeFile, UsePassphrase: true,
			Passphrase: opts.Passphrase, MachineSecret: opts.MachineSecret})
		d := time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		if s.Kind() != keystore.KindEncryptedFile {
			b.Fatalf("store kind %v, want the encrypted file", s.Kind())
		}
		return d
	}
	median := func(xs []float64) float64 {
		sort.Float64s(xs)
		return xs[len(xs)/2]
	}
	xFrame := make([]float64, 0, b.N)
	xUnlocked := make([]float64, 0, b.N)
	xForeground := make([]float64, 0, b.N)
	var inFrame, inStore, inForeground time.Duration
	b.ResetTimer()
	for range b.N {
		frame, unlocked := unlockScreen()
		fg := foreground()
		st := storeAlone()
		inFrame += frame
		inForeground += fg
		inStore += st
		xFrame = append(xFrame, float64(frame)/float64(st))
		xUnlocked = append(xUnlocked, float64(unlocked)/float64(st))
		xForeground = append(xForeground, float64(fg)/float64(st))
	}
	b.StopTimer()
	perIter := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) / 1000 }
	b.ReportMetric(perIter(inFrame), "ms/first-frame")
	b.ReportMetric(perIter(inForeground), "ms/foreground")
	b.ReportMetric(perIter(inStore), "ms/store-open")
	b.ReportMetric(median(xFrame), "x-store")
	b.ReportMetric(median(xUnlocked), "x-store-unlocked")
	b.ReportMetric(median(xForeground), "x-store-foreground")
}
