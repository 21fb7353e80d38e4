package xs2a

import (
	"net/url"
	"testing"
	"time"
)

func TestJourneyBGRedirect(t *testing.T) {
	b := newTestBank(t, ProfileBG())
	c := newTPP(t, b, 0)
	r := c.initiate(opts{hdr: map[string]string{"TPP-Nok-Redirect-URI": testRedirect + "?nok=1"}})
	if r.str("transactionStatus") != "RCVD" || r.hdr.Get("ASPSP-SCA-Approach") != "REDIRECT" || r.hdr.Get("Location") == "" || r.hdr.Get("X-Request-ID") != r.reqID {
		t.Fatalf("201: %v %s", r.hdr, r.body)
	}
	if v, _ := b.VerdictFor(r.reqID); v.Failed() || v.Signature == nil || v.Signature.ComputedDigest == "" || v.Signature.SigningStringSHA256 == "" {
		t.Fatalf("verdict: %+v", v)
	}
	id := r.str("paymentId")
	back := decide(t, b, r.link("scaRedirect"), true, nil)
	if back.String() != testRedirect {
		t.Fatalf("redirect back to %s", back)
	}
	st := c.do("GET", c.pathOf(r.link("scaStatus")), nil, opts{})
	if st.str("scaStatus") != "finalised" {
		t.Fatalf("scaStatus: %s", st.body)
	}
	steps := []struct {
		after time.Duration
		want  string
	}{{0, "ACTC"}, {time.Second, "ACSP"}, {2 * time.Second, "ACSC"}, {2 * time.Second, "ACCC"}}
	for _, s := range steps {
		b.clock.Add(s.after)
		got := c.do("GET", "/v1/payments/sepa-credit-transfers/"+id+"/status", nil, opts{})
		if got.str("transactionStatus") != s.want {
			t.Fatalf("after %s: %s, want %s", s.after, got.body, s.want)
		}
	}
	if bal := b.Balance("EUR"); bal != 25_000_00-123_50 {
		t.Fatalf("balance %d", bal)
	}
	got := c.do("GET", "/v1/payments/sepa-credit-transfers/"+id, nil, opts{})
	if got.status != 200 || got.str("creditorName") != "Merchant123" || got.str("transactionStatus") != "ACCC" {
		t.Fatalf("get payment: %s", got.body)
	}
	// Denied: back to the Nok URI, RJCT.
	r2 := c.initiate(opts{hdr: map[string]string{"TPP-Nok-Redirect-URI": testRedirect + "?nok=1"}})
	back = decide(t, b, r2.link("scaRedirect"), false, nil)
	if back.Query().Get("nok") != "1" {
		t.Fatalf("deny went to %s", back)
	}
	if s, _ := b.PaymentStatus(r2.str("paymentId")); s != "RJCT" {
		t.Fatalf("denied payment %s", s)
	}
}

func TestJourneyBGEmbedded(t *testing.T) {
	b := newTestBank(t, ProfileBG())
	c := newTPP(t, b, 0)
	c.psuID = "PSU-1234"
	r := c.initiate(opts{hdr: map[string]string{"TPP-Redirect-Preferred": "false"}})
	if r.hdr.Get("ASPSP-SCA-Approach") != "EMBEDDED" || r.link("startAuthorisationWithPsuAuthentication") == "" {
		t.Fatalf("embedded 201: %v %s", r.hdr, r.body)
	}
	start := c.do("POST", c.pathOf(r.link("startAuthorisationWithPsuAuthentication")), []byte(`{"psuData":{"password":"12345"}}`), opts{})
	if start.status != 201 || start.str("scaStatus") != "psuAuthenticated" || start.link("selectAuthenticationMethod") == "" {
		t.Fatalf("start: %d %s", start.status, start.body)
	}
	auth := c.pathOf(start.link("selectAuthenticationMethod"))
	sel := c.do("PUT", auth, []byte(`{"authenticationMethodId":"SMS_OTP"}`), opts{})
	if sel.status != 200 || sel.str("scaStatus") != "scaMethodSelected" || sel.link("authoriseTransaction") == "" {
		t.Fatalf("select: %d %s", sel.status, sel.body)
	}
	tan := c.do("PUT", auth, []byte(`{"scaAuthenticationData":"123456"}`), opts{})
	if tan.status != 200 || tan.str("scaStatus") != "finalised" {
		t.Fatalf("tan: %d %s", tan.status, tan.body)
	}
	if s, _ := b.PaymentStatus(r.str("paymentId")); s != "ACTC" {
		t.Fatalf("status %s", s)
	}
}

func TestJourneyBGDecoupled(t *testing.T) {
	b := newTestBank(t, ProfileBG())
	c := newTPP(t, b, 0)
	r := c.initiate(opts{hdr: map[string]string{"TPP-Decoupled-Preferred": "true"}})
	if r.hdr.Get("ASPSP-SCA-Approach") != "DECOUPLED" || r.link("startAuthorisationWithPsuIdentification") == "" {
		t.Fatalf("decoupled 201: %v %s", r.hdr, r.body)
	}
	start := c.do("POST", c.pathOf(r.link("startAuthorisationWithPsuIdentification")), nil, opts{})
	if start.status != 201 || start.str("scaStatus") != "received" || start.link("updatePsuIdentification") == "" {
		t.Fatalf("start: %d %s", start.status, start.body)
	}
	c.psuID = "PSU-1234"
	upd := c.do("PUT", c.pathOf(start.link("updatePsuIdentification")), []byte(`{}`), opts{})
	if upd.status != 200 || upd.str("scaStatus") != "psuIdentified" || upd.str("psuMessage") == "" {
		t.Fatalf("identify: %d %s", upd.status, upd.body)
	}
	auth := c.pathOf(upd.link("scaStatus"))
	b.clock.Add(4 * time.Second)
	if g := c.do("GET", auth, nil, opts{}); g.str("scaStatus") != "psuIdentified" {
		t.Fatalf("before the app: %s", g.body)
	}
	b.clock.Add(time.Second)
	if g := c.do("GET", auth, nil, opts{}); g.str("scaStatus") != "finalised" {
		t.Fatalf("after the app: %s", g.body)
	}
}

func TestJourneyBGDecoupledManual(t *testing.T) {
	b := newTestBank(t, ProfileBG(), func(c *Config) { c.DecoupledManual = true })
	c := newTPP(t, b, 0)
	c.psuID = "PSU-1"
	r := c.initiate(opts{hdr: map[string]string{"TPP-Decoupled-Preferred": "true"}})
	start := c.do("POST", c.pathOf(r.link("startAuthorisation")), nil, opts{})
	if start.str("scaStatus") != "psuIdentified" {
		t.Fatalf("start: %s", start.body)
	}
	id := start.str("authorisationId")
	b.clock.Add(time.Hour / 20)
	if err := b.DecideDecoupled(id, false); err != nil {
		t.Fatal(err)
	}
	if s, _ := b.PaymentStatus(r.str("paymentId")); s != "RJCT" {
		t.Fatalf("denied in the app: %s", s)
	}
}

func TestJourneySB1SessionThenRedirect(t *testing.T) {
	b := newTestBank(t, ProfileSB1())
	c := newTPP(t, b, 0)
	path, body := productPath(b.prof)
	gate := c.do("POST", path, body, opts{})
	expectRule(t, b, gate, 401, "PSU_CREDENTIALS_INVALID", RulePSUSession)
	back := decide(t, b, gate.link("scaRedirect"), true, url.Values{"psu": {"01017012345"}})
	c.psuID, c.session = back.Query().Get("psu-id"), back.Query().Get("tpp-session-id")
	if c.psuID != "01017012345" || c.session == "" {
		t.Fatalf("session redirect: %s", back)
	}
	r := c.do("POST", path, body, opts{wrap: true})
	if r.status != 201 || r.link("startAuthorisation") == "" || r.link("self")[:8] != "https://" {
		t.Fatalf("201: %d %s", r.status, r.body)
	}
	start := c.do("POST", c.pathOf(r.link("startAuthorisation")), []byte(`{}`), opts{})
	if start.status != 201 || start.str("scaStatus") != "STARTED" || start.link("scaRedirect") == "" {
		t.Fatalf("start: %d %s", start.status, start.body)
	}
	decide(t, b, start.link("scaRedirect"), true, nil)
	if g := c.do("GET", c.pathOf(start.link("scaStatus")), nil, opts{}); g.str("scaStatus") != "FINALISED" {
		t.Fatalf("sca: %s", g.body)
	}
	b.clock.Add(10 * time.Second)
	if g := c.do("GET", c.pathOf(r.link("status")), nil, opts{}); g.str("transactionStatus") != "ACSC" {
		t.Fatalf("status: %s", g.body)
	}
	// allowLogicalDuplicate=false (the default) refuses the same payment again.
	dup := c.do("POST", path, body, opts{})
	expectRule(t, b, dup, 400, "PAYMENT_FAILED", RuleLogicalDuplicate)
	if ok := c.do("POST", path+"?allowLogicalDuplicate=true", body, opts{}); ok.status != 201 {
		t.Fatalf("allowLogicalDuplicate=true: %d %s", ok.status, ok.body)
	}
}
