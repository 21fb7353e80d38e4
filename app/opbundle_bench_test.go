package app

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/wallet"
)

// BenchmarkOPBundleOf10 is the goal at the wallet's level: a bundle of ten payments
// from the review (prepared) to every payment submitted at OP — the wallet's one SCA, ten
// payments built, signed, stored (fsynced) and created, the one approval completed (code
// exchange, ID-token checks, ten reads and ten submissions) with every status recorded —
// against the embedded OP bank's own handler time in the same run. The payer's time on OP's
// page is not counted (nor the bank's time serving it). Reported per bundle (medians):
// client-ms (the wallet's own time: wall minus the bank's), bank-ms, and sca-ms (the PIN and
// code check, included in client-ms). The issue asks client-ms ≤ 1000.
//
//	go test -run '^$' -bench 'OPBundleOf10' -benchtime 5x ./app/
func BenchmarkOPBundleOf10(b *testing.B) {
	clock := newSCAClock()
	cfg := opConfig(b)
	cfg.Limits.PerDayCount, cfg.Limits.PerDay, cfg.Limits.PerMonth = 0, "", "" // ten payments a bundle, a bundle an iteration
	// After onboarding (the UAE sandbox checks real time) the wallet and the OP bank follow the
	// authenticator's clock, which moves a TOTP step (30 s) per code: a fresh code per bundle
	// stays within the SCA's 5 minutes however many bundles run.
	var followSCA atomic.Bool
	opts := testOptions(clock)
	opts.Clock = func() time.Time {
		if followSCA.Load() {
			return clock.Now()
		}
		return time.Now()
	}
	a, err := Open(context.Background(), cfg, opts)
	if err != nil {
		b.Fatal(err)
	}
	a.startWork.release()
	defer a.Close()
	// The bank's handler time: both servers (API and pages) of the embedded OP bank, wrapped
	// before the first request reaches them (nothing calls OP before onboarding).
	var mu sync.Mutex
	var server time.Duration
	conn := a.banks[1].op
	inner := conn.api.Handler
	timed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		inner.ServeHTTP(w, r)
		mu.Lock()
		server += time.Since(t0)
		mu.Unlock()
	})
	conn.api.Handler, conn.pages.Handler = timed, timed
	readServer := func() time.Duration { mu.Lock(); defer mu.Unlock(); return server }
	setServer := func(d time.Duration) { mu.Lock(); server = d; mu.Unlock() }

	_, js := onboard(b, a.UIWallet(), clock, twoPayees()[:1])
	link := opLink(b, a.UIWallet())
	followSCA.Store(true)
	w := a.wallet
	ctx := context.Background()
	drafts := make([]wallet.Draft, 10)
	for i := range drafts {
		drafts[i] = wallet.Draft{ConsentID: link.ID, Amount: fmt.Sprintf("%d.%02d", 1+i, i), Reference: fmt.Sprintf("Invoice %d", i+1),
			NewPayee: &wallet.PayeeInput{Name: fmt.Sprintf("Payee %d Oy", i+1), IBAN: []string{"FI21 1234 5600 0007 85", "FI91 1234 5600 0007 86", "FI69 1234 5600 0007 94"}[i%3]}}
	}
	var client, bank, scaMS []float64
	for b.Loop() {
		pb, err := w.PrepareBundle(ctx, drafts)
		if err != nil {
			b.Fatal(err)
		}
		code := clock.nextCode(b, js.totpSecret)
		var (
			t0, scaDone, submittedAt time.Time
			paused, bankAt           time.Duration // the payer on OP's page; the bank's time until all were submitted
			browsed                  bool
			waiting                  = map[int64]bool{}
		)
		setServer(0)
		progress := func(e wallet.Event) {
			switch {
			case e.Step == wallet.StepSCA && e.State == wallet.StepDone:
				scaDone = time.Now()
			case e.Action != nil && !browsed:
				browsed = true
				p0, s0 := time.Now(), readServer()
				back := opBrowse(b, e.Action.URL, "approve")
				paused = time.Since(p0)
				setServer(s0)
				if err := w.ContinuePayment(ctx, e.PaymentID, provider.Input{CallbackURL: back}); err != nil {
					b.Errorf("ContinuePayment: %v", err)
				}
			case e.PaymentID != 0 && e.Status == wallet.PaymentAwaitingBankSCA:
				waiting[e.PaymentID] = true
			case e.PaymentID != 0 && e.Step == wallet.StepApprove && waiting[e.PaymentID]:
				delete(waiting, e.PaymentID)
				if len(waiting) == 0 && browsed {
					submittedAt, bankAt = time.Now(), readServer()
				}
			}
		}
		t0 = time.Now()
		ps, err := w.SubmitBundle(ctx, pb, sca.PIN(testPIN), sca.OTP(code), progress)
		if err != nil || len(ps) != 10 || submittedAt.IsZero() {
			b.Fatalf("bundle: %d payments, submitted at %v, %v", len(ps), submittedAt, err)
		}
		wall := submittedAt.Sub(t0) - paused
		client = append(client, ms(wall-bankAt))
		bank = append(bank, ms(bankAt))
		scaMS = append(scaMS, ms(scaDone.Sub(t0)))
		for _, p := range ps {
			if p.Status != wallet.PaymentExecuted {
				b.Fatalf("payment %d ended %s", p.ID, p.Status)
			}
		}
	}
	b.ReportMetric(median(client), "client-ms/bundle")
	b.ReportMetric(median(bank), "bank-ms/bundle")
	b.ReportMetric(median(scaMS), "sca-ms/bundle")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
