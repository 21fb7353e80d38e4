package interop

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/payterm/payterm/internal/xs2atest"
	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/provider"
	xs2aprov "github.com/payterm/payterm/provider/xs2a"
	bank "github.com/payterm/payterm/sandbox/xs2a"
	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/wallet"
	"github.com/payterm/payterm/xs2a"
)

const walletPIN sca.PIN = "730461"

var cheapKDF = keystore.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

// walletAtBG is a wallet (ledger, the wallet's own SCA enrolled) whose only bank is a Berlin
// Group bank behind provider/xs2a, over the embedded XS2A bank. The wallet's sleeps move the
// bank's clock, so settlement happens as the wallet polls.
type walletAtBG struct {
	x       *xs2atest.Env
	w       *wallet.Wallet
	ledger  *wallet.Ledger
	dir     string
	secret  string
	offset  atomic.Int64
	ckCodes func() sca.OTP
}

func newWalletAtBG(t *testing.T, cfg func(*xs2aprov.Config), mod ...func(*bank.Config)) *walletAtBG {
	t.Helper()
	x := xs2atest.Start(t, bank.ProfileBG(), mod...)
	pc := xs2aprov.Config{Name: "Berlin Group Bank", Client: x.ClientConfig(xs2a.Generic(), nil), PSUIPAddress: "192.168.8.78"}
	if cfg != nil {
		cfg(&pc)
	}
	pb, err := xs2aprov.New(pc)
	if err != nil {
		t.Fatal(err)
	}
	e := &walletAtBG{x: x, dir: filepath.Join(t.TempDir(), "data")}
	if err := os.MkdirAll(e.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	e.offset.Store(int64(-5 * time.Minute))
	scaNow := func() time.Time { return time.Now().Add(time.Duration(e.offset.Load())) }
	ks, err := keystore.Open(keystore.Options{DataDir: e.dir, Mode: keystore.ModeFile, FileKDF: cheapKDF, AllowWeakKDF: true,
		MachineSecret: func() ([]byte, error) { return []byte("interop-machine"), nil }})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := sca.Open(sca.Config{DataDir: e.dir, Store: ks, Clock: scaNow, PINKDF: cheapKDF, AllowWeakKDF: true})
	if err != nil {
		t.Fatal(err)
	}
	e.ckCodes = func() sca.OTP {
		e.offset.Add(int64(30 * time.Second))
		code, err := totp.GenerateCode(e.secret, scaNow())
		if err != nil {
			t.Fatal(err)
		}
		return sca.OTP(code)
	}
	en, err := auth.BeginEnrolment(walletPIN)
	if err != nil {
		t.Fatal(err)
	}
	e.secret = en.Secret()
	if _, err := auth.ConfirmEnrolment(en, e.ckCodes()); err != nil {
		t.Fatal(err)
	}
	e.ledger, err = wallet.OpenLedger(context.Background(), e.dir, wallet.LedgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.ledger.Close() })
	e.w, err = wallet.New(wallet.Config{Ledger: e.ledger, SCA: auth, Banks: map[string]provider.Bank{"bg": pb},
		Sleep: func(ctx context.Context, d time.Duration) error { x.Clock.Add(d); return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// pay records a link, prepares a SEPA payment, and submits it with the wallet's own SCA; on
// answers the bank's Actions.
func (e *walletAtBG) pay(t *testing.T, on func(ev wallet.Event)) wallet.Payment {
	t.Helper()
	ctx := context.Background()
	link, err := e.w.RecordLink(ctx, "bg", "DE40 1001 0010 3307 1186 08", "Erika Mustermann", "EUR")
	if err != nil {
		t.Fatal(err)
	}
	pp, err := e.w.Prepare(ctx, wallet.Draft{ConsentID: link.ID, Amount: "EUR 12.50", Reference: "Invoice 42",
		NewPayee: &wallet.PayeeInput{Name: "Max Muster", IBAN: "DE02 1001 0010 9307 1186 03"}})
	if err != nil {
		t.Fatal(err)
	}
	if pp.Product != "sepa-credit-transfers" || pp.Currency != "EUR" {
		t.Fatalf("prepared %+v", pp)
	}
	p, err := e.w.Submit(ctx, pp.ID, walletPIN, e.ckCodes(), on)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *walletAtBG) timeline(t *testing.T, id int64) string {
	t.Helper()
	tl, err := e.ledger.Timeline(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var words []string
	for _, c := range tl {
		words = append(words, string(c.Status)+"/"+c.BankStatus)
	}
	return strings.Join(words, " ")
}

// TestWalletPaysAtBGByRedirect: the wallet core with provider/xs2a over the embedded Berlin
// Group bank, end to end: RecordLink → Prepare → the wallet's own SCA → Build, store, Send →
// the bank's page shown as Event.Action and approved by the payer's browser → tracked to ACSC,
// final at BG; Resume leaves it alone; every request passed the bank's rules.
func TestWalletPaysAtBGByRedirect(t *testing.T) {
	e := newWalletAtBG(t, nil)
	var actions []provider.ActionKind
	p := e.pay(t, func(ev wallet.Event) {
		if ev.Action == nil {
			return
		}
		actions = append(actions, ev.Action.Kind)
		if ev.Action.Kind == provider.ActionRedirect && len(actions) == 1 {
			e.x.Decide(ev.Action.URL, true, nil) // the payer's browser, before the next poll
		}
	})
	if p.Status != wallet.PaymentExecuted || p.BankStatus != "ACSC" || !p.Final || p.BankPaymentID == "" {
		t.Fatalf("payment %s (%s) final %v", p.Status, p.BankStatus, p.Final)
	}
	if len(actions) != 1 || actions[0] != provider.ActionRedirect {
		t.Fatalf("actions %v", actions)
	}
	if s, _ := e.x.Bank.PaymentStatus(p.BankPaymentID); s != "ACSC" && s != "ACCC" {
		t.Fatalf("the bank's payment is %s", s)
	}
	if tl := e.timeline(t, p.ID); !strings.HasPrefix(tl, "Prepared/ Sending/ AwaitingBankSCA/RCVD ") || !strings.HasSuffix(tl, "Executed/ACSC") {
		t.Fatalf("timeline %s", tl)
	}
	n := e.x.Bank.PaymentCount()
	if err := e.w.Resume(context.Background(), nil); err != nil || e.x.Bank.PaymentCount() != n {
		t.Fatalf("resume: %v", err)
	}
	for _, v := range e.x.Bank.RecentVerdicts(0) {
		for _, c := range v.Checks {
			if !c.Passed {
				t.Errorf("%s %s: rule %d %s: %s", v.Method, v.Path, c.Rule, c.Name, c.Detail)
			}
		}
	}
}

// TestWalletPaysAtBGEmbedded: the bank's password, method and TAN answered through
// ContinuePayment (one wrong TAN asked again); none of them reaches the data dir.
func TestWalletPaysAtBGEmbedded(t *testing.T) {
	const password, tan = "interop-pw-5521", "551234"
	e := newWalletAtBG(t, func(c *xs2aprov.Config) { c.Approach = xs2a.Embedded; c.PSUID = "PSU-1234" },
		func(c *bank.Config) { c.EmbeddedPassword = password; c.EmbeddedTAN = tan })
	var (
		mu      sync.Mutex
		actions []string
	)
	p := e.pay(t, func(ev wallet.Event) {
		if ev.Action == nil {
			return
		}
		mu.Lock()
		actions = append(actions, string(ev.Action.Kind))
		otps := strings.Count(strings.Join(actions, " "), "otp")
		mu.Unlock()
		var in provider.Input
		switch ev.Action.Kind {
		case provider.ActionPassword:
			in.Password = password
		case provider.ActionChooseMethod:
			in.MethodID = ev.Action.Methods[0].ID
		case provider.ActionOTP:
			in.OTP = tan
			if otps == 1 {
				in.OTP = "000111"
			}
		}
		go func() {
			if err := e.w.ContinuePayment(context.Background(), ev.PaymentID, in); err != nil {
				t.Error(err)
			}
		}()
	})
	if p.Status != wallet.PaymentExecuted || p.BankStatus != "ACSC" || !p.Final {
		t.Fatalf("payment %s (%s) final %v", p.Status, p.BankStatus, p.Final)
	}
	if got := strings.Join(actions, " "); got != "password choose-method otp otp" {
		t.Fatalf("actions %s", got)
	}
	err := filepath.Walk(e.dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range []string{password, tan, "PSU-1234"} {
			if strings.Contains(string(raw), s) {
				t.Errorf("%s holds %q", path, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
