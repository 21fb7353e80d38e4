package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/provider"
	opbank "github.com/payterm/payterm/sandbox/op"
	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// bundleDrafts are three payments from the OP link, to three payees.
func bundleDrafts(linkID string) []wallet.Draft {
	return []wallet.Draft{
		{ConsentID: linkID, Amount: "12.50", Reference: "Invoice 42", NewPayee: &wallet.PayeeInput{Name: "Kahvila Oy", IBAN: "FI21 1234 5600 0007 85"}},
		{ConsentID: linkID, Amount: "40.00", Reference: "Rent share", NewPayee: &wallet.PayeeInput{Name: "Asunto Oy", IBAN: "FI91 1234 5600 0007 86"}},
		{ConsentID: linkID, Amount: "7.25", NewPayee: &wallet.PayeeInput{Name: "Kirjasto", IBAN: "FI69 1234 5600 0007 94"}},
	}
}

// opBrowsePick is opBrowse approving only the payments keep says yes to (by their place on
// OP's page, 0…): the payer unticks the others.
func opBrowsePick(t *testing.T, pageURL string, keep func(i int) bool) string {
	t.Helper()
	resp, err := http.Get(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := opPageField.FindSubmatch(page)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("OP's page: %d %s", resp.StatusCode, page)
	}
	f := url.Values{"page": {string(m[1])}, "outcome": {"approve"}}
	boxes := opApproveBox.FindAllSubmatch(page, -1)
	for i, b := range boxes {
		if keep(i) {
			f.Add("approve", string(b[1]))
		}
	}
	if len(boxes) == 0 {
		t.Fatal("OP's page lists no payment to approve")
	}
	u, _ := url.Parse(pageURL)
	nr := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = nr.PostForm(u.Scheme+"://"+u.Host+"/oauth/authorize", f)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get("Location")
}

// bundleEnv is a wallet onboarded with the OP link, ready to pay a bundle.
type bundleEnv struct {
	cfg   config.Config
	a     *App
	clock *scaClock
	js    journeySecrets
	link  ui.Consent
}

func newBundleEnv(t *testing.T) *bundleEnv {
	clock := newSCAClock()
	cfg := opConfig(t)
	a := openApp(t, cfg, clock)
	_, js := onboard(t, a.UIWallet(), clock, twoPayees()[:1])
	return &bundleEnv{cfg: cfg, a: a, clock: clock, js: js, link: opLink(t, a.UIWallet())}
}

// actions counts the approvals the wallet asked for and answers each once with browse.
type actions struct {
	mu   sync.Mutex
	seen []provider.Action
	ids  []int64
}

func (ac *actions) progress(t *testing.T, w *wallet.Wallet, browse func(string) string) func(wallet.Event) {
	return func(e wallet.Event) {
		if e.Action == nil {
			return
		}
		ac.mu.Lock()
		ac.seen = append(ac.seen, *e.Action)
		ac.ids = append(ac.ids, e.PaymentID)
		n := len(ac.seen)
		ac.mu.Unlock()
		if n > 1 || browse == nil {
			return
		}
		back := browse(e.Action.URL)
		if err := w.ContinuePayment(context.Background(), e.PaymentID, provider.Input{CallbackURL: back}); err != nil {
			t.Errorf("ContinuePayment: %v", err)
		}
	}
}

// checkVerdicts fails on any request the strict bank refused.
func checkVerdicts(t *testing.T, bank *opbank.Bank) {
	t.Helper()
	for _, v := range bank.Verdicts() {
		if f := v.Failed(); f != nil {
			t.Fatalf("the bank refused a %s request: rule %d %s (%s)", v.Endpoint, f.Rule, f.Name, f.Detail)
		}
	}
}

// submissionsAt counts the submissions OP was sent (PUT …/submissions/…).
func submissionsAt(bank *opbank.Bank) int {
	n := 0
	for _, v := range bank.Verdicts() {
		if v.Endpoint == "PUT /submissions" {
			n++
		}
	}
	return n
}

// TestOPBundleOfThreeApprovedOnce: three payments, one wallet SCA, one approval on OP's page:
// each is an ordinary payment of the ledger (its own key, its exact bytes, its status), all
// three under one authorizationId at OP, each debited once and Executed (Submitted).
func TestOPBundleOfThreeApprovedOnce(t *testing.T) {
	e := newBundleEnv(t)
	defer e.a.Close()
	ctx := context.Background()
	w := e.a.wallet
	bank := e.a.banks[1].op.bank
	b, err := w.PrepareBundle(ctx, bundleDrafts(e.link.ID))
	if err != nil {
		t.Fatal(err)
	}
	if b.Total.String() != "59.75" || b.Currency != "EUR" || len(b.Items) != 3 {
		t.Fatalf("bundle %s %s, %d items", b.Total, b.Currency, len(b.Items))
	}
	var ac actions
	browse := func(u string) string { return opBrowse(t, u, "approve") }
	ps, err := w.SubmitBundle(ctx, b, sca.PIN(testPIN), sca.OTP(e.clock.nextCode(t, e.js.totpSecret)), ac.progress(t, w, browse))
	if err != nil {
		t.Fatal(err)
	}
	if len(ac.seen) != 1 || ac.seen[0].Kind != provider.ActionRedirect || !strings.Contains(ac.seen[0].Message, "the 3 payments") {
		t.Fatalf("the wallet asked for %d approvals (%+v), want one for the three", len(ac.seen), ac.seen)
	}
	if len(ps) != 3 {
		t.Fatalf("%d payments recorded, want 3", len(ps))
	}
	keys, auth := map[string]bool{}, ""
	for i, p := range ps {
		if !p.Final || p.Status != wallet.PaymentExecuted || p.BankStatus != "Submitted" {
			t.Fatalf("payment %d: %s %s final=%v", i+1, p.Status, p.BankStatus, p.Final)
		}
		if n := bank.PaymentDebits(p.BankPaymentID); n != 1 {
			t.Fatalf("payment %d debited %d times", i+1, n)
		}
		r, err := p.Receipt()
		if err != nil || r.Bundle != b.ID || r.BundleItem != i+1 || r.BundleDigest != wallet.BundleDigestOf(b.ID, b.ConsentID, b.Items) || r.AuthenticationValue == "" {
			t.Fatalf("payment %d receipt %+v %v", i+1, r, err)
		}
		keys[p.IdempotencyKey] = true
		if len(p.Request) == 0 || !strings.Contains(string(p.Request), `"bundled":true`) {
			t.Fatalf("payment %d: the stored request is not the bundle's", i+1)
		}
		var memo struct {
			AuthorizationID string `json:"authorization_id"`
		}
		err = json.Unmarshal(p.ProviderState, &memo)
		au := memo.AuthorizationID
		if err != nil || au == "" || (auth != "" && au != auth) {
			t.Fatalf("payment %d is under authorization %q (%v), the first under %q", i+1, au, err, auth)
		}
		auth = au
	}
	if len(keys) != 3 {
		t.Fatal("the payments of the bundle share an idempotency key")
	}
	if n := bank.Payments(); n != 3 {
		t.Fatalf("OP holds %d payments, want 3", n)
	}
	if n := submissionsAt(bank); n != 3 {
		t.Fatalf("%d submissions reached OP, want 3", n)
	}
	got, err := e.a.ledger.PaymentsOfBundle(ctx, b.ID)
	if err != nil || len(got) != 3 || got[0].ID != ps[0].ID || got[2].ID != ps[2].ID {
		t.Fatalf("the ledger's bundle: %d payments %v", len(got), err)
	}
	checkVerdicts(t, bank)
}

// TestOPBundlePayerApprovesTwo: the payer unticks the third payment on OP's page: the first
// two are submitted and debited once, the third ends Rejected and is never submitted.
func TestOPBundlePayerApprovesTwo(t *testing.T) {
	e := newBundleEnv(t)
	defer e.a.Close()
	ctx := context.Background()
	w := e.a.wallet
	bank := e.a.banks[1].op.bank
	b, err := w.PrepareBundle(ctx, bundleDrafts(e.link.ID))
	if err != nil {
		t.Fatal(err)
	}
	var ac actions
	browse := func(u string) string { return opBrowsePick(t, u, func(i int) bool { return i < 2 }) }
	ps, err := w.SubmitBundle(ctx, b, sca.PIN(testPIN), sca.OTP(e.clock.nextCode(t, e.js.totpSecret)), ac.progress(t, w, browse))
	if err != nil {
		t.Fatal(err)
	}
	if len(ac.seen) != 1 || len(ps) != 3 {
		t.Fatalf("%d approvals asked, %d payments", len(ac.seen), len(ps))
	}
	for i, p := range ps[:2] {
		if p.Status != wallet.PaymentExecuted || bank.PaymentDebits(p.BankPaymentID) != 1 {
			t.Fatalf("payment %d: %s, debited %d times", i+1, p.Status, bank.PaymentDebits(p.BankPaymentID))
		}
	}
	if p := ps[2]; p.Status != wallet.PaymentRejected || !p.Final || bank.PaymentDebits(p.BankPaymentID) != 0 {
		t.Fatalf("the payment left out: %s final=%v debited %d", p.Status, p.Final, bank.PaymentDebits(p.BankPaymentID))
	}
	if n := submissionsAt(bank); n != 2 {
		t.Fatalf("%d submissions reached OP, want 2", n)
	}
	checkVerdicts(t, bank)
}

// TestOPBundleWrongCodeKeepsTheBundle: a wrong code leaves nothing recorded and nothing sent;
// the same bundle is paid with the right code.
func TestOPBundleWrongCodeKeepsTheBundle(t *testing.T) {
	e := newBundleEnv(t)
	defer e.a.Close()
	ctx := context.Background()
	w := e.a.wallet
	bank := e.a.banks[1].op.bank
	b, err := w.PrepareBundle(ctx, bundleDrafts(e.link.ID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.SubmitBundle(ctx, b, sca.PIN(testPIN), sca.OTP("000000"), nil); err == nil {
		t.Fatal("a wrong code paid the bundle")
	}
	if n := bank.Payments(); n != 0 {
		t.Fatalf("OP holds %d payments after a refused SCA", n)
	}
	var ac actions
	browse := func(u string) string { return opBrowse(t, u, "approve") }
	ps, err := w.SubmitBundle(ctx, b, sca.PIN(testPIN), sca.OTP(e.clock.nextCode(t, e.js.totpSecret)), ac.progress(t, w, browse))
	if err != nil || len(ps) != 3 || ps[2].Status != wallet.PaymentExecuted {
		t.Fatalf("the bundle after the right code: %d payments, %v", len(ps), err)
	}
	if _, err := w.SubmitBundle(ctx, b, sca.PIN(testPIN), sca.OTP(e.clock.nextCode(t, e.js.totpSecret)), nil); err == nil {
		t.Fatal("the same bundle was paid twice")
	}
	if n := bank.Payments(); n != 3 {
		t.Fatalf("OP holds %d payments, want 3", n)
	}
}

// TestOPBundleRestartBeforeApproval: the wallet stops after the three payments were created at
// OP and before the payer approved them. After a restart nothing is sent again: the bundle is
// resumed by its id, approved once on OP's page, and each payment is debited once.
func TestOPBundleRestartBeforeApproval(t *testing.T) {
	e := newBundleEnv(t)
	cfg := e.cfg
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	b, err := e.a.wallet.PrepareBundle(ctx, bundleDrafts(e.link.ID))
	if err != nil {
		t.Fatal(err)
	}
	var ac actions
	stopAtAction := func(ev wallet.Event) {
		ac.progress(t, e.a.wallet, nil)(ev)
		if ev.Action != nil {
			stop() // the wallet is killed while OP's page is shown
		}
	}
	ps, err := e.a.wallet.SubmitBundle(ctx, b, sca.PIN(testPIN), sca.OTP(e.clock.nextCode(t, e.js.totpSecret)), stopAtAction)
	if err == nil || len(ps) != 3 {
		t.Fatalf("stopped at the approval: %d payments, %v", len(ps), err)
	}
	for i, p := range ps {
		if p.Status != wallet.PaymentAwaitingBankSCA {
			t.Fatalf("payment %d is %s before the approval", i+1, p.Status)
		}
	}
	e.a.Close()

	a := openApp(t, cfg, e.clock)
	defer a.Close()
	bank := a.banks[1].op.bank
	creates := func() int {
		n := 0
		for _, v := range bank.Verdicts() {
			if v.Endpoint == "POST /sepa-payments" {
				n++
			}
		}
		return n
	}
	before := creates()
	var again actions
	browse := func(u string) string { return opBrowse(t, u, "approve") }
	var done []wallet.Payment
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		// The background resume may hold a payment for a moment: ask again then.
		done, err = a.wallet.ResumeBundle(context.Background(), b.ID, again.progress(t, a.wallet, browse))
		if err == nil || time.Now().After(end) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(again.seen) != 1 || len(done) != 3 {
		t.Fatalf("after the restart: %d approvals asked, %d payments", len(again.seen), len(done))
	}
	for i, p := range done {
		if p.Status != wallet.PaymentExecuted || bank.PaymentDebits(p.BankPaymentID) != 1 || p.ID != ps[i].ID {
			t.Fatalf("payment %d after the restart: %s, debited %d", i+1, p.Status, bank.PaymentDebits(p.BankPaymentID))
		}
	}
	if n := creates() - before; n != 0 {
		t.Fatalf("%d payments were created again after the restart", n)
	}
	if n := bank.Payments(); n != 3 {
		t.Fatalf("OP holds %d payments, want 3", n)
	}
}

// TestOPBundleRestartAfterApproval: the payer approves on OP's page and the wallet exchanges
// the code (the payer's tokens are kept), then every API answer is lost and the wallet stops
// before any submission. After a restart the kept token submits all three — no OP page — and
// each is debited once.
func TestOPBundleRestartAfterApproval(t *testing.T) {
	e := newBundleEnv(t)
	cfg := e.cfg
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	bank := e.a.banks[1].op.bank
	b, err := e.a.wallet.PrepareBundle(ctx, bundleDrafts(e.link.ID))
	if err != nil {
		t.Fatal(err)
	}
	var ac actions
	browse := func(u string) string {
		back := opBrowse(t, u, "approve")
		bank.DropNextAnswers(1000) // from here on no API answer arrives
		go func() {
			for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
				if _, rt := keptOPTokens(t, e.a); len(rt) > 0 {
					break
				}
			}
			stop() // killed between the code exchange and the submissions
		}()
		return back
	}
	ps, _ := e.a.wallet.SubmitBundle(ctx, b, sca.PIN(testPIN), sca.OTP(e.clock.nextCode(t, e.js.totpSecret)), ac.progress(t, e.a.wallet, browse))
	if len(ps) != 3 {
		t.Fatalf("%d payments recorded", len(ps))
	}
	if _, rt := keptOPTokens(t, e.a); len(rt) != 1 {
		t.Fatalf("%d refresh tokens kept after the approval, want 1", len(rt))
	}
	if n := submissionsAt(bank); n != 0 {
		t.Fatalf("%d submissions reached OP before the restart", n)
	}
	for i, p := range ps {
		if p.Final {
			t.Fatalf("payment %d ended before the restart: %s", i+1, p.Status)
		}
	}
	e.a.Close()

	a := openApp(t, cfg, e.clock)
	defer a.Close()
	bank = a.banks[1].op.bank
	var again actions
	var done []wallet.Payment
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		done, err = a.wallet.ResumeBundle(context.Background(), b.ID, again.progress(t, a.wallet, func(string) string {
			t.Error("after the restart the wallet sent the payer to OP's page again")
			return ""
		}))
		paid := err == nil
		for _, p := range done {
			paid = paid && p.Status == wallet.PaymentExecuted
		}
		if paid || time.Now().After(end) {
			break
		}
	}
	if err != nil || len(done) != 3 {
		t.Fatalf("after the restart: %d payments, %v", len(done), err)
	}
	for i, p := range done {
		if p.Status != wallet.PaymentExecuted || bank.PaymentDebits(p.BankPaymentID) != 1 {
			t.Fatalf("payment %d after the restart: %s, debited %d", i+1, p.Status, bank.PaymentDebits(p.BankPaymentID))
		}
	}
	if n := bank.Payments(); n != 3 {
		t.Fatalf("OP holds %d payments, want 3", n)
	}
}

// TestOPBundleRevokedBeforeApproval: the payer stops at OP's page and revokes the bundle: the
// warning says every payment goes, all three end Cancelled at OP and in the ledger, nothing is
// debited, and OP's page no longer approves them.
func TestOPBundleRevokedBeforeApproval(t *testing.T) {
	e := newBundleEnv(t)
	defer e.a.Close()
	w := e.a.wallet
	bank := e.a.banks[1].op.bank
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	b, err := w.PrepareBundle(ctx, bundleDrafts(e.link.ID))
	if err != nil {
		t.Fatal(err)
	}
	var page string
	ps, _ := w.SubmitBundle(ctx, b, sca.PIN(testPIN), sca.OTP(e.clock.nextCode(t, e.js.totpSecret)), func(ev wallet.Event) {
		if ev.Action != nil {
			page = ev.Action.URL
			stop() // the payer stops watching at OP's page
		}
	})
	if len(ps) != 3 || page == "" {
		t.Fatalf("%d payments, page %q", len(ps), page)
	}
	warn, err := w.BundleRevokeWarning(context.Background(), e.link.ID, 3)
	if err != nil || !strings.Contains(warn, "every payment") || !strings.Contains(warn, "3") {
		t.Fatalf("the warning before revoking: %q %v", warn, err)
	}
	var done []wallet.Payment
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		done, err = w.RevokeBundle(context.Background(), b.ID)
		if err == nil || time.Now().After(end) {
			break
		}
	}
	if err != nil || len(done) != 3 {
		t.Fatalf("revoke: %d payments, %v", len(done), err)
	}
	for i, p := range done {
		if p.Status != wallet.PaymentCancelled || !p.Final || bank.PaymentDebits(p.BankPaymentID) != 0 {
			t.Fatalf("payment %d after the revocation: %s final=%v", i+1, p.Status, p.Final)
		}
	}
	if _, err := w.RevokeBundle(context.Background(), b.ID); err == nil {
		t.Fatal("a bundle whose payments all ended was revoked again")
	}
	if n := submissionsAt(bank); n != 0 {
		t.Fatalf("%d submissions reached OP", n)
	}
	checkVerdicts(t, bank)
}

// TestOPBundleThroughTheScreensContract: the bundle as the screens pay it (ui.BundleService):
// prepared with its total and the bank's revoke warning, one wallet check, the one approval
// answered through ContinuePayment under the bundle's id, every payment's status live and
// final.
func TestOPBundleThroughTheScreensContract(t *testing.T) {
	e := newBundleEnv(t)
	defer e.a.Close()
	ctx := context.Background()
	w := e.a.UIWallet()
	bs := w.(ui.BundleService)
	if e.link.Terms.Bundle != 10 {
		t.Fatalf("the OP link's terms say bundles of %d", e.link.Terms.Bundle)
	}
	var drafts []ui.PaymentDraft
	for _, d := range bundleDrafts(e.link.ID) {
		drafts = append(drafts, ui.PaymentDraft{Amount: d.Amount, Reference: d.Reference, NewPayee: ui.PayeeDraft{Name: d.NewPayee.Name, IBAN: d.NewPayee.IBAN}})
	}
	pb, err := bs.PrepareBundle(ctx, e.link.ID, drafts)
	if err != nil {
		t.Fatal(err)
	}
	if len(pb.Items) != 3 || pb.Total.String() != "59.75" || pb.Currency != "EUR" || !strings.Contains(pb.RevokeWarning, "every payment") {
		t.Fatalf("prepared %+v", pb)
	}
	bad := append([]ui.PaymentDraft(nil), drafts...)
	bad[1].NewPayee.IBAN = "FI00 1234"
	if _, err := bs.PrepareBundle(ctx, e.link.ID, bad); err == nil || !strings.Contains(err.Error(), "Payment 2 of the bundle") {
		t.Fatalf("a bad IBAN in payment 2: %v", err)
	}
	ch, err := bs.SubmitBundle(ctx, pb.ID, ui.SCAInput{PIN: ui.NewSecret(testPIN), TOTP: ui.NewSecret(e.clock.nextCode(t, e.js.totpSecret))})
	if err != nil {
		t.Fatal(err)
	}
	var last ui.BundleEvent
	approvals, asked := 0, ""
	for ev := range ch {
		// OP's page offered again for the same approval (a poll before the pasted address
		// arrives) is not a second approval; a page for another one is (opPageState).
		if ev.Action != nil && opPageState(t, ev.Action.URL) != asked {
			asked = opPageState(t, ev.Action.URL)
			approvals++
			if approvals == 1 {
				back := opBrowse(t, ev.Action.URL, "approve")
				if err := w.ContinuePayment(ctx, pb.ID, ui.BankInput{Kind: ui.ActionRedirect, Secret: ui.NewSecret(back)}); err != nil {
					t.Errorf("ContinuePayment: %v", err)
				}
			}
		}
		last = ev
	}
	if approvals != 1 || !last.Final || last.Err != nil || len(last.Items) != 3 {
		t.Fatalf("approvals %d, last %+v", approvals, last)
	}
	for i, it := range last.Items {
		if !ui.PaymentPaid(it.Status) || it.BankStatus != "Submitted" || it.PaymentID == "" {
			t.Fatalf("payment %d: %+v", i+1, it)
		}
	}
	if _, err := bs.SubmitBundle(ctx, pb.ID, ui.SCAInput{PIN: ui.NewSecret(testPIN), TOTP: ui.NewSecret(e.clock.nextCode(t, e.js.totpSecret))}); err == nil {
		t.Fatal("the same bundle was submitted twice")
	}
}

// TestOPBundleStoppedWhileCreating: the wallet stops right after the second payment of three was
// created at OP. After a restart every payment the ledger holds for the bundle is approved once
// on OP's page and debited once; none is created twice, and OP holds no payment the ledger does
// not.
func TestOPBundleStoppedWhileCreating(t *testing.T) {
	e := newBundleEnv(t)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	b, err := e.a.wallet.PrepareBundle(ctx, bundleDrafts(e.link.ID))
	if err != nil {
		t.Fatal(err)
	}
	created := 0
	ps, err := e.a.wallet.SubmitBundle(ctx, b, sca.PIN(testPIN), sca.OTP(e.clock.nextCode(t, e.js.totpSecret)), func(ev wallet.Event) {
		if ev.Step == wallet.StepSend && ev.State == wallet.StepDone {
			if created++; created == 2 {
				stop() // killed between the second payment and the third
			}
		}
		if ev.Action != nil {
			t.Error("the approval was asked although the wallet was stopped while creating")
		}
	})
	if err == nil || len(ps) < 2 {
		t.Fatalf("stopped while creating: %d payments, %v", len(ps), err)
	}
	e.a.Close()

	a := openApp(t, e.cfg, e.clock)
	defer a.Close()
	bank := a.banks[1].op.bank
	var again actions
	browse := func(u string) string { return opBrowse(t, u, "approve") }
	var done []wallet.Payment
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		done, err = a.wallet.ResumeBundle(context.Background(), b.ID, again.progress(t, a.wallet, browse))
		finished := err == nil
		for _, p := range done {
			finished = finished && p.Final
		}
		if finished || time.Now().After(end) {
			break
		}
	}
	if err != nil || len(done) < 2 {
		t.Fatalf("after the restart: %d payments, %v", len(done), err)
	}
	t.Logf("the bundle holds %d payments after the restart", len(done))
	keys := map[string]bool{}
	for i, p := range done {
		if p.Status != wallet.PaymentExecuted || bank.PaymentDebits(p.BankPaymentID) != 1 || keys[p.IdempotencyKey] {
			t.Fatalf("payment %d after the restart: %s, debited %d", i+1, p.Status, bank.PaymentDebits(p.BankPaymentID))
		}
		keys[p.IdempotencyKey] = true
	}
	if n := bank.Payments(); n != len(done) {
		t.Fatalf("OP holds %d payments, the ledger's bundle %d", n, len(done))
	}
	if len(again.seen) != 1 {
		t.Fatalf("the approval was asked %d times after the restart, want once", len(again.seen))
	}
	checkVerdicts(t, bank)
}
