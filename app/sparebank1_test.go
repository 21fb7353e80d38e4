package app

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/ui"
)

// sb1Config is testConfig with the documented SpareBank 1 bank (the embedded XS2A bank, sb1
// profile): a krone account named by its account number.
func sb1Config(t *testing.T) config.Config {
	t.Helper()
	cfg := testConfig(t)
	in := "[[banks]]\nid = \"sb1\"\nname = \"SpareBank 1 Test\"\nprovider = \"berlin-group\"\nprofile = \"sb1\"\n" +
		"account = \"8601 1117 947\"\naccount_holder = \"Kari Nordmann\"\ncurrency = \"NOK\"\n"
	if err := config.Parse([]byte(in), &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// sb1Run is what one payment at SpareBank 1 asked and ended with.
type sb1Run struct {
	pp     ui.PreparedPayment
	evs    []ui.PaymentEvent
	logins int // the bank's login pages shown (its session page)
	last   ui.PaymentEvent
}

// sb1Browser is the payer's browser on the embedded bank's pages: it does not follow the
// redirect back (the address is what the payer pastes).
func sb1Browser(a *App) *http.Client {
	bank := a.banks[1].bg.bank
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: bank.RootCAs()}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// payAtSB1 pays amount NOK to a Norwegian account number by the domestic product, doing what
// each bank step asks: the login page (the bank's BankID stand-in, auto-approved) opened and
// the address it sends the browser back to pasted — after pasting wrongFirst once, when set —,
// the payment's own approval page opened (onApproval, when given, runs before the first).
func payAtSB1(t *testing.T, a *App, w ui.Wallet, clock *scaClock, secret, amount, wrongFirst string, onApproval ...func()) sb1Run {
	t.Helper()
	ctx := context.Background()
	link := sb1Link(t, w)
	pp, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: link.ID, Amount: amount, Reference: "Faktura 7",
		Product: "norwegian-domestic-credit-transfers", NewPayee: ui.PayeeDraft{Name: "Ola Nordmann", IBAN: "1234 5678 903"}})
	if err != nil {
		t.Fatal(err)
	}
	if pp.Currency != "NOK" {
		t.Fatalf("prepared in %q, want NOK", pp.Currency)
	}
	ch, err := w.SubmitPayment(ctx, pp.ID, ui.SCAInput{PIN: ui.NewSecret(testPIN), TOTP: ui.NewSecret(clock.nextCode(t, secret))})
	if err != nil {
		t.Fatal(err)
	}
	bank := a.banks[1].bg.bank
	browser := sb1Browser(a)
	run := sb1Run{pp: pp}
	wrongSent := false
	timeout := time.After(60 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				if len(run.evs) > 0 {
					run.last = run.evs[len(run.evs)-1]
				}
				return run
			}
			run.evs = append(run.evs, ev)
			act := ev.Action
			if act == nil {
				continue
			}
			if act.Kind != ui.ActionRedirect || !strings.HasPrefix(act.URL, bank.BrowserURL()) {
				t.Fatalf("SpareBank 1 asked %+v, want a page on its browser host", act)
			}
			login := strings.HasPrefix(act.URL, bank.BrowserURL()+"/session/")
			if login && ev.Err == nil {
				run.logins++
			}
			if login && wrongFirst != "" && !wrongSent {
				wrongSent = true
				if err := w.ContinuePayment(ctx, pp.ID, ui.BankInput{Kind: ui.ActionRedirect, Secret: ui.NewSecret(wrongFirst)}); err != nil {
					t.Fatalf("ContinuePayment (wrong address): %v", err)
				}
				continue
			}
			if !login && len(onApproval) > 0 {
				onApproval[0]() // once: at the first approval page
				onApproval = nil
			}
			resp, err := browser.Get(act.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			back := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(back, "http://127.0.0.1") {
				t.Fatalf("the bank's page answered %d, back to %q", resp.StatusCode, back)
			}
			if login && !strings.Contains(back, "tpp-session-id=") {
				t.Fatalf("the login page sent the browser back to %q, without a session", back)
			}
			if act.NeedsCallback {
				if err := w.ContinuePayment(ctx, pp.ID, ui.BankInput{Kind: ui.ActionRedirect, Secret: ui.NewSecret(back)}); err != nil {
					t.Fatalf("ContinuePayment: %v", err)
				}
			}
		case <-timeout:
			t.Fatalf("the payment did not finish; events so far: %+v", run.evs)
		}
	}
}

// sb1Link is the wallet's link to the SpareBank 1 account.
func sb1Link(t *testing.T, w ui.Wallet) ui.Consent {
	t.Helper()
	cs, err := w.Consents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.BankID == "sb1" && c.Status == ui.ConsentAuthorized {
			return c
		}
	}
	t.Fatalf("no link at SpareBank 1: %+v", cs)
	return ui.Consent{}
}

// paidInNOK fails unless the run ended paid, in NOK, with the bank's ISO status beside it.
func paidInNOK(t *testing.T, run sb1Run) {
	t.Helper()
	r := run.last.Receipt
	if !run.last.Final || r == nil || !ui.PaymentPaid(r.Status) || r.Currency != "NOK" || r.BankStatus == "" || r.PaymentID == "" {
		t.Fatalf("final event %+v receipt %+v", run.last, r)
	}
}

// keptSession is the session the keystore holds for the SpareBank 1 bank ("" when none).
func keptSession(t *testing.T, a *App) (psuID, sessionID string) {
	t.Helper()
	raw, err := a.store.Get(sessionName("sb1"))
	if err != nil {
		return "", ""
	}
	var s struct {
		PSUID string `json:"psuId"`
		ID    string `json:"tppSessionId"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("the kept session: %v", err)
	}
	return s.PSUID, s.ID
}

// assertSessionNowhere fails when the session's id or the payer's PSU-ID is in a file of the
// wallet's data dir (the embedded bank's own records aside: they are the bank's), or in the
// inspector's view of every exchange.
func assertSessionNowhere(t *testing.T, a *App, secrets ...string) {
	t.Helper()
	bankDir := filepath.Join(a.dir, "banks", "sb1", bgBankDir)
	files := 0
	err := filepath.WalkDir(a.dir, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && path == bankDir:
			return filepath.SkipDir
		case d.IsDir():
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, s := range secrets {
			if strings.Contains(string(raw), s) {
				t.Errorf("%s holds the session's id or the payer's PSU-ID", path)
			}
		}
		return nil
	})
	if err != nil || files == 0 {
		t.Fatalf("walk the data dir: %d files, %v", files, err)
	}
	in, err := a.UIWallet().Inspect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dump := fmt.Sprintf("%+v", in)
	for _, s := range secrets {
		if strings.Contains(dump, s) {
			t.Errorf("the inspector shows a session secret or the PSU-ID")
		}
	}
}

// TestSpareBank1LoginPayRestart: a wallet with SpareBank 1 from the config (a krone account by
// its account number). The first payment asks for the bank's login (its session page) after
// the wallet's own SCA: a mistyped address is refused and the login asked again, the right one
// opens the session; the domestic NOK payment is then signed with the session's PSU-ID, approved
// on the bank's page and followed to its end. The session is kept in the keystore — not in the
// data dir, the ledger or the inspector — and used again: a second payment, and one after a
// restart, ask for no login. Ending the link deletes it.
func TestSpareBank1LoginPayRestart(t *testing.T) {
	clock := newSCAClock()
	cfg := sb1Config(t)
	a := openApp(t, cfg, clock)
	w := a.UIWallet()
	_, js := onboard(t, w, clock, twoPayees()[:1])
	link := sb1Link(t, w)
	if link.Terms.Currency != "NOK" || len(link.Terms.Products) == 0 || link.Terms.Products[0].ID != "norwegian-domestic-credit-transfers" ||
		!strings.Contains(link.Terms.Signing, "PSU-ID") || link.DebtorMasked == "" || strings.Contains(link.DebtorMasked, "86011117947") {
		t.Fatalf("the link's terms: %+v", link)
	}
	if !a.banks[1].bg.prov.LoginNeeded() {
		t.Fatal("a new wallet holds a SpareBank 1 session")
	}

	run := payAtSB1(t, a, w, clock, js.totpSecret, "250.00", "http://127.0.0.1:0/callback?psu-id=x&tpp-session-id=y")
	paidInNOK(t, run)
	if run.logins != 1 {
		t.Fatalf("%d logins asked, want 1", run.logins)
	}
	refused := false
	for _, ev := range run.evs {
		if ev.Action != nil && ev.Err != nil && strings.Contains(ev.Action.URL, "/session/") {
			refused = true
		}
	}
	if !refused {
		t.Fatal("the mistyped address was not refused with the login asked again")
	}
	psuID, sid := keptSession(t, a)
	if psuID == "" || sid == "" {
		t.Fatal("no session in the keystore after the login")
	}
	assertSessionNowhere(t, a, sid, psuID)
	checkSB1Signature(t, w)

	again := payAtSB1(t, a, w, clock, js.totpSecret, "10.00", "")
	paidInNOK(t, again)
	if again.logins != 0 {
		t.Fatalf("the second payment asked %d logins, want none (the session is kept)", again.logins)
	}
	a.Close()

	a = openApp(t, cfg, clock)
	defer a.Close()
	w = a.UIWallet()
	if a.banks[1].bg.prov.LoginNeeded() {
		t.Fatal("the kept session was not restored after the restart")
	}
	after := payAtSB1(t, a, w, clock, js.totpSecret, "11.00", "")
	paidInNOK(t, after)
	if after.logins != 0 {
		t.Fatalf("after a restart the payment asked %d logins, want none", after.logins)
	}
	if p, s := keptSession(t, a); p != psuID || s != sid {
		t.Fatal("the kept session changed without a login")
	}
	assertSessionNowhere(t, a, sid, psuID)
	// Ending the link logs out: the keystore no longer holds the session.
	if err := w.RevokeConsent(context.Background(), sb1Link(t, w).ID); err != nil {
		t.Fatal(err)
	}
	if p, s := keptSession(t, a); p != "" || s != "" || !a.banks[1].bg.prov.LoginNeeded() {
		t.Fatal("the session is still kept after the link ended")
	}
}

// TestSpareBank1SessionEndedLogsInAgain: the bank ends the session (the payer logged out there)
// while the wallet still holds it. The next payment is built and sent with it, the bank answers
// 401 (nothing processed): the wallet drops the kept session, asks for a login in the same run,
// and sends the payment once more under a new X-Request-ID — once: the bank has one payment,
// paid. The new session replaces the old one in the keystore. The same after a restart with a
// session the bank ended meanwhile.
func TestSpareBank1SessionEndedLogsInAgain(t *testing.T) {
	clock := newSCAClock()
	cfg := sb1Config(t)
	a := openApp(t, cfg, clock)
	defer func() { a.Close() }()
	w := a.UIWallet()
	_, js := onboard(t, w, clock, twoPayees()[:1])
	first := payAtSB1(t, a, w, clock, js.totpSecret, "250.00", "")
	paidInNOK(t, first)
	_, oldSID := keptSession(t, a)

	if n, err := a.banks[1].bg.bank.EndSessions(); n != 1 || err != nil {
		t.Fatalf("the bank ended %d sessions: %v", n, err)
	}
	run := payAtSB1(t, a, w, clock, js.totpSecret, "99.00", "")
	paidInNOK(t, run)
	if run.logins != 1 {
		t.Fatalf("%d logins asked after the bank ended the session, want 1", run.logins)
	}
	_, newSID := keptSession(t, a)
	if newSID == "" || newSID == oldSID {
		t.Fatal("the keystore does not hold the new session")
	}
	id, ok := parseID(run.last.Receipt.ID)
	if !ok {
		t.Fatalf("receipt id %q", run.last.Receipt.ID)
	}
	atts, err := a.ledger.Attempts(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var sends []string
	for _, at := range atts {
		if at.Kind == "send" {
			sends = append(sends, fmt.Sprintf("%d %s %s", at.HTTPStatus, at.Outcome, at.InteractionID))
		}
	}
	if len(sends) != 2 || !strings.HasPrefix(sends[0], "401 ") || !strings.Contains(sends[1], " ok ") {
		t.Fatalf("sends of the payment: %q, want the refused one (401) and the one after the login", sends)
	}
	if f0, f1 := strings.Fields(sends[0]), strings.Fields(sends[1]); f0[len(f0)-1] == f1[len(f1)-1] {
		t.Fatalf("the payment went again under the same X-Request-ID: %q", sends)
	}
	if st, ok := a.banks[1].bg.bank.PaymentStatus(run.last.Receipt.PaymentID); !ok || st == "" {
		t.Fatalf("the bank does not have the payment %q: %q", run.last.Receipt.PaymentID, st)
	}
	assertSessionNowhere(t, a, newSID, oldSID)

	// The bank ends the session while payterm is closed: the kept one is restored at start,
	// refused at the first payment, and the login asked again — once, the payment paid.
	if n, err := a.banks[1].bg.bank.EndSessions(); n != 1 || err != nil {
		t.Fatalf("the bank ended %d sessions: %v", n, err)
	}
	a.Close()
	a = openApp(t, cfg, clock)
	w = a.UIWallet()
	if a.banks[1].bg.prov.LoginNeeded() {
		t.Fatal("the kept session was not restored")
	}
	later := payAtSB1(t, a, w, clock, js.totpSecret, "42.00", "")
	paidInNOK(t, later)
	if _, sid := keptSession(t, a); later.logins != 1 || sid == "" || sid == newSID {
		t.Fatalf("after a restart with an ended session: %d logins, a new session kept: %v", later.logins, sid != "" && sid != newSID)
	}
	if n := a.banks[1].bg.bank.PaymentCount(); n != 3 {
		t.Fatalf("the bank holds %d payments, want 3 (each sent once)", n)
	}
}

// checkSB1Signature: the inspector shows SpareBank 1's sequence with its login step, and the
// initiation signed with its header list — date, digest, x-request-id, then psu-id (the
// session's payer, blanked in the signing string shown) and tpp-redirect-uri, as seed 002 asks —
// which the bank's verifier accepted, in the session the login opened.
func checkSB1Signature(t *testing.T, w ui.Wallet) {
	t.Helper()
	in, err := w.Inspect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(in.Steps))
	for i, st := range in.Steps {
		names[i] = st.Name
	}
	// SpareBank 1's sequence: the wallet's check, the bank's login (its 401 with the login page
	// is the answer asked for: done), then the initiation and the rest as at any BG bank.
	if len(in.Steps) != len(bgSequence)+1 || in.Steps[1].Name != sb1Login.name || in.Steps[2].Name != bgSequence[1].name {
		t.Fatalf("SpareBank 1's inspector sequence: %q", names)
	}
	if lg := in.Steps[1]; lg.State != ui.SeqDone || lg.Exchange == nil || !strings.HasPrefix(lg.Exchange.Request, "GET /v1/users ") ||
		!strings.Contains(lg.Exchange.Response, "401") {
		t.Fatalf("the login step: %v %+v", lg.State, lg.Exchange)
	}
	for i, st := range in.Steps {
		if st.State != ui.SeqDone {
			t.Errorf("step %q is %v after the payment", names[i], st.State)
		}
	}
	ini := in.Steps[2].Exchange
	sig := map[string]string{}
	var signed []string
	for _, f := range ini.Signature {
		if f.Name == "signed" {
			signed = append(signed, f.Value)
			continue
		}
		sig[f.Name] = f.Value
	}
	if sig["headers"] != "date digest x-request-id psu-id tpp-redirect-uri" || sig["algorithm"] != "rsa-sha256" ||
		!strings.HasPrefix(sig["keyId"], "SN=") || !strings.Contains(sig["keyId"], ",CA=") {
		t.Fatalf("SpareBank 1's initiation signature: %+v", ini.Signature)
	}
	if !strings.Contains(strings.Join(signed, "\n"), "psu-id: ") {
		t.Fatalf("the signing string shown has no psu-id line: %q", signed)
	}
	verdicts := map[string]bool{}
	for _, v := range in.Verdicts {
		if strings.HasPrefix(v.Rule, in.Steps[2].Name+" · ") {
			verdicts[strings.TrimPrefix(v.Rule, in.Steps[2].Name+" · ")] = v.Passed
		}
	}
	if !verdicts["rule 17: signature verifies"] || !verdicts["rule 25: PSU session established"] {
		t.Fatalf("the bank's verdicts on the initiation: %v", verdicts)
	}
}

// TestSpareBank1SessionEndedDuringApproval: the bank ends the session after it created the
// payment, while the payer approves it on the bank's page: the wallet's next question to the
// bank is refused (401), it asks for the login in the same run, then asks the bank again and
// follows the payment to its end. The payment was sent once: the bank holds one.
func TestSpareBank1SessionEndedDuringApproval(t *testing.T) {
	clock := newSCAClock()
	a := openApp(t, sb1Config(t), clock)
	defer a.Close()
	w := a.UIWallet()
	_, js := onboard(t, w, clock, twoPayees()[:1])
	bank := a.banks[1].bg.bank
	run := payAtSB1(t, a, w, clock, js.totpSecret, "75.00", "", func() {
		if n, err := bank.EndSessions(); n != 1 || err != nil {
			t.Errorf("the bank ended %d sessions: %v", n, err)
		}
	})
	paidInNOK(t, run)
	if run.logins != 2 {
		t.Fatalf("%d logins, want 2 (before the payment, and after the bank ended the session)", run.logins)
	}
	if n := bank.PaymentCount(); n != 1 {
		t.Fatalf("the bank holds %d payments, want 1", n)
	}
	for _, ev := range run.evs {
		if ev.State == ui.StepFailed && !ev.Final {
			t.Errorf("a step failed on the way: %+v", ev)
		}
	}
}
