package xs2a

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// oauthFlow runs the BOG code flow for the payment behind r and returns the token answer.
func oauthFlow(t *testing.T, b *testBank, c *tpp, paymentID string, approve bool) (int, map[string]any, *url.URL) {
	t.Helper()
	resp, err := c.client.Get(b.OAuthMetadataURL())
	if err != nil {
		t.Fatal(err)
	}
	var md map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&md)
	resp.Body.Close()
	verifier := strings.Repeat("v", 50)
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {c.reg.TPPID}, "redirect_uri": {testRedirect}, "scope": {"PIS:" + paymentID},
		"state": {"st-1"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	back := decide(t, b, md["authorization_endpoint"].(string)+"?"+q.Encode(), approve, nil)
	if back.Query().Get("state") != "st-1" {
		t.Fatalf("state not echoed: %s", back)
	}
	if !approve {
		return 0, nil, back
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")}, "redirect_uri": {testRedirect},
		"code_verifier": {verifier}, "client_id": {c.reg.TPPID}}
	resp, err = c.client.Post(md["token_endpoint"].(string), "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var tok map[string]any
	_ = json.Unmarshal(raw, &tok)
	// The code is single-use.
	resp2, err := c.client.Post(md["token_endpoint"].(string), "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err == nil {
		if resp2.StatusCode != 400 {
			t.Errorf("second use of the code: %d", resp2.StatusCode)
		}
		resp2.Body.Close()
	}
	return resp.StatusCode, tok, back
}

func TestJourneyBOGOAuth(t *testing.T) {
	b := newTestBank(t, ProfileBOG())
	c := newTPP(t, b, 0)
	r := c.initiate(opts{})
	if r.hdr.Get("ASPSP-SCA-Approach") != "REDIRECT" || r.link("scaOAuth") != b.OAuthMetadataURL() || !strings.HasPrefix(r.link("self"), "/psd2/v1/payments/domestic/") {
		t.Fatalf("BOG 201: %v %s", r.hdr, r.body)
	}
	id := r.str("paymentId")
	status, tok, _ := oauthFlow(t, b, c, id, true)
	if status != 200 || tok["token_type"] != "Bearer" || tok["scope"] != "PIS:"+id {
		t.Fatalf("token: %d %v", status, tok)
	}
	bearer := opts{hdr: map[string]string{"Authorization": "Bearer " + tok["access_token"].(string)}}
	if g := c.do("GET", c.pathOf(r.link("scaStatus")), nil, bearer); g.str("scaStatus") != "finalised" {
		t.Fatalf("sca: %s", g.body)
	}
	b.clock.Add(5 * time.Second)
	if s, _ := b.PaymentStatus(id); s != "ACSC" {
		t.Fatalf("status %s (BOG stops at ACSC)", s)
	}
	// Denied at the page: RJCT.
	r2 := c.initiate(opts{})
	_, _, back := oauthFlow(t, b, c, r2.str("paymentId"), false)
	if back.Query().Get("error") != "access_denied" {
		t.Fatalf("deny: %s", back)
	}
	if s, _ := b.PaymentStatus(r2.str("paymentId")); s != "RJCT" {
		t.Fatalf("denied: %s", s)
	}
}

func TestJourneyCancellation(t *testing.T) {
	t.Run("unauthorised payment: 204", func(t *testing.T) {
		b := newTestBank(t, ProfileBG())
		c := newTPP(t, b, 0)
		r := c.initiate(opts{})
		d := c.do("DELETE", c.pathOf(r.link("self")), nil, opts{})
		if d.status != 204 {
			t.Fatalf("delete: %d %s", d.status, d.body)
		}
		if s, _ := b.PaymentStatus(r.str("paymentId")); s != "CANC" {
			t.Fatalf("status %s", s)
		}
	})
	t.Run("authorised payment: 202 and a cancellation authorisation", func(t *testing.T) {
		b := newTestBank(t, ProfileBG(), func(c *Config) { c.ProcessAfter = time.Minute })
		c := newTPP(t, b, 0)
		r := c.initiate(opts{})
		decide(t, b, r.link("scaRedirect"), true, nil)
		d := c.do("DELETE", c.pathOf(r.link("self")), nil, opts{})
		if d.status != 202 || d.str("transactionStatus") != "ACTC" || d.link("startAuthorisation") == "" {
			t.Fatalf("delete: %d %s", d.status, d.body)
		}
		start := c.do("POST", c.pathOf(d.link("startAuthorisation")), nil, opts{})
		if start.status != 201 || start.link("scaRedirect") == "" {
			t.Fatalf("cancellation start: %d %s", start.status, start.body)
		}
		list := c.do("GET", c.pathOf(d.link("startAuthorisation")), nil, opts{})
		if ids, _ := list.json["authorisationIds"].([]any); len(ids) != 1 {
			t.Fatalf("list: %s", list.body)
		}
		decide(t, b, start.link("scaRedirect"), true, nil)
		if s, _ := b.PaymentStatus(r.str("paymentId")); s != "CANC" {
			t.Fatalf("status %s", s)
		}
	})
	t.Run("SpareBank 1 cancels an authorised payment at once", func(t *testing.T) {
		b := newTestBank(t, ProfileSB1(), func(c *Config) { c.AutoApprove = true; c.ProcessAfter = time.Minute })
		c := newTPP(t, b, 0)
		c.sb1Session(t)
		r := c.initiate(opts{})
		start := c.do("POST", c.pathOf(r.link("startAuthorisation")), nil, opts{})
		followAuto(t, b, start.link("scaRedirect"))
		if d := c.do("DELETE", c.pathOf(r.link("self")), nil, opts{}); d.status != 204 {
			t.Fatalf("delete: %d %s", d.status, d.body)
		}
	})
}

// sb1Session establishes a SpareBank 1 PSU session through the gate (AutoApprove bank).
func (c *tpp) sb1Session(t *testing.T) {
	t.Helper()
	path, body := productPath(c.bank.prof)
	gate := c.do("POST", path, body, opts{})
	loc := followAuto(t, c.bank, gate.link("scaRedirect"))
	c.psuID, c.session = loc.Query().Get("psu-id"), loc.Query().Get("tpp-session-id")
	if c.session == "" {
		t.Fatalf("no session from %s", loc)
	}
}

// followAuto opens a page of an AutoApprove bank and returns where it redirects.
func followAuto(t *testing.T, b *testBank, page string) *url.URL {
	t.Helper()
	resp, err := browser(t, b).Get(page)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("auto page %s: %d", page, resp.StatusCode)
	}
	u, _ := url.Parse(resp.Header.Get("Location"))
	return u
}

func TestJourneyFundsAndTimeouts(t *testing.T) {
	t.Run("no funds: ACCP with FUNDS_NOT_AVAILABLE, then RJCT", func(t *testing.T) {
		b := newTestBank(t, ProfileBG(), func(c *Config) { c.AutoApprove = true })
		c := newTPP(t, b, 0)
		if err := b.InjectFault(Fault{Kind: FaultNoFunds, Count: 1}); err != nil {
			t.Fatal(err)
		}
		r := c.initiate(opts{})
		followAuto(t, b, r.link("scaRedirect"))
		b.clock.Add(2 * time.Second)
		st := c.do("GET", c.pathOf(r.link("status")), nil, opts{})
		msgs, _ := st.json["tppMessage"].([]any)
		if st.str("transactionStatus") != "ACCP" || st.json["fundsAvailable"] != false || len(msgs) != 1 || msgs[0].(map[string]any)["code"] != "FUNDS_NOT_AVAILABLE" {
			t.Fatalf("no funds: %s", st.body)
		}
		b.clock.Add(10 * time.Minute)
		if s, _ := b.PaymentStatus(r.str("paymentId")); s != "RJCT" {
			t.Fatalf("after FundsWait: %s", s)
		}
	})
	t.Run("low balance, then topped up: ACCP then ACSP", func(t *testing.T) {
		b := newTestBank(t, ProfileBG(), func(c *Config) { c.AutoApprove = true; c.BalanceMinor = map[string]int64{"EUR": 100} })
		c := newTPP(t, b, 0)
		r := c.initiate(opts{})
		followAuto(t, b, r.link("scaRedirect"))
		b.clock.Add(2 * time.Second)
		if s, _ := b.PaymentStatus(r.str("paymentId")); s != "ACCP" {
			t.Fatalf("status %s", s)
		}
		if err := b.SetBalance("EUR", 1000_00); err != nil {
			t.Fatal(err)
		}
		if s, _ := b.PaymentStatus(r.str("paymentId")); s != "ACSP" {
			t.Fatalf("after top-up %s", s)
		}
	})
	t.Run("TPP-Rejection-NoFunds-Preferred: RJCT at once", func(t *testing.T) {
		b := newTestBank(t, ProfileBG(), func(c *Config) { c.AutoApprove = true; c.BalanceMinor = map[string]int64{"EUR": 0} })
		c := newTPP(t, b, 0)
		r := c.initiate(opts{hdr: map[string]string{"TPP-Rejection-NoFunds-Preferred": "true"}})
		followAuto(t, b, r.link("scaRedirect"))
		b.clock.Add(2 * time.Second)
		if s, _ := b.PaymentStatus(r.str("paymentId")); s != "RJCT" {
			t.Fatalf("status %s", s)
		}
	})
}

func TestJourneyConfirmation(t *testing.T) {
	b := newTestBank(t, ProfileBG())
	c := newTPP(t, b, 0)
	if err := b.InjectFault(Fault{Kind: FaultConfirmation, Count: 1}); err != nil {
		t.Fatal(err)
	}
	r := c.initiate(opts{})
	back := decide(t, b, r.link("scaRedirect"), true, nil)
	code := back.Query().Get("confirmationCode")
	auth := c.do("GET", c.pathOf(r.link("scaStatus")), nil, opts{})
	if auth.str("scaStatus") != "unconfirmed" || auth.link("confirmation") == "" || code == "" {
		t.Fatalf("unconfirmed: %s (code %q)", auth.body, code)
	}
	if s, _ := b.PaymentStatus(r.str("paymentId")); s != "RCVD" {
		t.Fatalf("before confirmation: %s", s)
	}
	wrong := c.do("PUT", c.pathOf(auth.link("confirmation")), []byte(`{"confirmationCode":"00000000x"}`), opts{})
	expectRule(t, b, wrong, 400, "FORMAT_ERROR", RuleConfirmation)
	ok := c.do("PUT", c.pathOf(auth.link("confirmation")), []byte(`{"confirmationCode":"`+code+`"}`), opts{})
	if ok.status != 200 || ok.str("scaStatus") != "finalised" {
		t.Fatalf("confirm: %d %s", ok.status, ok.body)
	}
}

func TestJourneyRestartKeepsEverything(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	prof := ProfileBG()
	b1, err := New(Config{Profile: &prof, DataDir: dir, Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := b1.Start(); err != nil {
		t.Fatal(err)
	}
	tb := &testBank{Bank: b1, clock: clk, dir: dir}
	c := newTPP(t, tb, 0)
	r := c.initiate(opts{})
	decide(t, tb, r.link("scaRedirect"), true, nil)
	replayID := r.reqID
	// A crash: the journal is not folded (no Close); copy the files as they are.
	crash := t.TempDir()
	copyDir(t, dir, crash)
	b1.Close()
	b2, err := New(Config{Profile: &prof, DataDir: crash, Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := b2.Start(); err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	tb2 := &testBank{Bank: b2, clock: clk, dir: crash}
	c2 := tppFrom(t, tb2, c.reg, testKey(0), testKey(1))
	if s, ok := b2.PaymentStatus(r.str("paymentId")); !ok || s != "ACTC" {
		t.Fatalf("after restart: %q %v", s, ok)
	}
	path, body := productPath(prof)
	again := c2.do("POST", path, body, opts{requestID: replayID})
	expectRule(t, tb2, again, 400, "FORMAT_ERROR", RuleRequestIDReplay)
}
