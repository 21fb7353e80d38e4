package sandbox

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func (c *tpp) copToken() string {
	c.t.Helper()
	tr := c.postForm(c.disc.Token, c.tokenForm("client_credentials", "scope", "confirmation-of-payee"))
	if tr.Status != http.StatusOK {
		c.t.Fatalf("client_credentials confirmation-of-payee: %d %v", tr.Status, tr.Body)
	}
	return tr.Body["access_token"].(string)
}

// copCall posts a signed CoP request with message to op (discovery or confirmation).
func (c *tpp) copCall(op, token string, message any) rsResp {
	c.t.Helper()
	now := c.bank.Now().Unix()
	body := c.sign(map[string]any{"iss": c.id, "aud": []string{c.disc.Issuer}, "iat": now, "nbf": now - 10, "exp": now + 300, "message": message})
	req, err := http.NewRequest(http.MethodPost, c.bank.CoPBaseURL()+"/"+op, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/jwt")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("x-fapi-interaction-id", uuid.NewString())
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := rsResp{Status: resp.StatusCode, Header: resp.Header, Raw: raw, InteractionID: req.Header.Get("x-fapi-interaction-id")}
	if len(raw) > 0 {
		out.Claims = c.verifyBank(string(raw))
	}
	return out
}

func confirmMsg(iban string, name map[string]any) map[string]any {
	return map[string]any{"Data": map[string]any{"SchemeName": "IBAN", "Identification": iban, "Name": name}}
}

func TestCoPDiscoveryAndConfirmation(t *testing.T) {
	b := newBank(t, strictCoP)
	c := newTPP(t, b)
	tok := c.copToken()
	d := c.copCall("discovery", tok, map[string]any{"Data": map[string]any{"SchemeName": "IBAN", "Identification": "AE460090000000123456789"}})
	if d.Status != http.StatusOK || d.data()["ResourceServerUrl"] != b.CoPBaseURL() || d.data()["DiscoveryEndpointUrl"] != b.DiscoveryURL() {
		t.Fatalf("discovery: %d %v", d.Status, d.Claims)
	}
	for _, tc := range []struct {
		name   map[string]any
		iban   string
		status int
		match  string
		masked string
	}{
		{map[string]any{"FullName": "Fatima Al Mansoori"}, "AE460090000000123456789", 200, "ConfirmationOfPayee.Yes", ""},
		{map[string]any{"FullName": "fatima  al mansoori", "GivenName": "Fatima"}, "AE460090000000123456789", 200, "ConfirmationOfPayee.Yes", ""},
		{map[string]any{"FullName": "Fatima Al Mansouri"}, "AE460090000000123456789", 200, "ConfirmationOfPayee.Partial", "Fatima Al Mansoori"},
		{map[string]any{"FullName": "Al Mansoori Fatima"}, "AE460090000000123456789", 200, "ConfirmationOfPayee.Partial", "Fatima Al Mansoori"},
		{map[string]any{"FullName": "John Smith"}, "AE460090000000123456789", 200, "ConfirmationOfPayee.No", ""},
		{map[string]any{"BusinessName": "Falcon Trading LLC"}, "AE590260123456789012345", 200, "ConfirmationOfPayee.Yes", ""},
		{map[string]any{"FullName": "Omar Haddad"}, "AE620260001015678901234", 204, "", ""},
		{map[string]any{"FullName": "Anyone"}, "AE070331234567890123456", 404, "", ""},
	} {
		r := c.copCall("confirmation", tok, confirmMsg(tc.iban, tc.name))
		if r.Status != tc.status {
			t.Errorf("%v: HTTP %d, want %d", tc.name, r.Status, tc.status)
			continue
		}
		if tc.status == 200 {
			if got := r.data()["NameMatchIndicator"]; got != tc.match {
				t.Errorf("%v: %v, want %s", tc.name, got, tc.match)
			}
			if m, _ := r.data()["MaskedName"].(string); m != tc.masked {
				t.Errorf("%v: MaskedName %q, want %q", tc.name, m, tc.masked)
			}
		} else if len(r.Raw) != 0 {
			t.Errorf("%v: HTTP %d with a body", tc.name, r.Status)
		}
	}
}

func TestCoPRefusesBadRequests(t *testing.T) {
	b := newBank(t, strictCoP)
	c := newTPP(t, b)
	tok := c.copToken()
	for name, msg := range map[string]any{
		"extra member":  map[string]any{"Data": map[string]any{"SchemeName": "IBAN", "Identification": "AE460090000000123456789", "Name": map[string]any{"FullName": "A"}, "X": 1}},
		"both names":    confirmMsg("AE460090000000123456789", map[string]any{"FullName": "A", "BusinessName": "B"}),
		"no name":       confirmMsg("AE460090000000123456789", map[string]any{"GivenName": "A"}),
		"bad IBAN":      confirmMsg("AE460090000000123456788", map[string]any{"FullName": "A"}),
		"scheme":        map[string]any{"Data": map[string]any{"SchemeName": "BBAN", "Identification": "AE460090000000123456789", "Name": map[string]any{"FullName": "A"}}},
		"long name":     confirmMsg("AE460090000000123456789", map[string]any{"FullName": strings.Repeat("a", 141)}),
		"control chars": confirmMsg("AE460090000000123456789", map[string]any{"FullName": "A\x1b[2J"}),
	} {
		r := c.copCall("confirmation", tok, msg)
		if r.Status != http.StatusBadRequest || r.errorCode() != "Body.InvalidFormat" || failedRule(b, r.InteractionID) != 41 {
			t.Errorf("%s: %d %s rule %d", name, r.Status, r.errorCode(), failedRule(b, r.InteractionID))
		}
	}
	// The envelope is closed: a jti is refused.
	now0 := b.Now().Unix()
	withJTI := c.sign(map[string]any{"iss": c.id, "aud": []string{c.disc.Issuer}, "iat": now0, "nbf": now0 - 10, "exp": now0 + 300, "jti": uuid.NewString(),
		"message": confirmMsg("AE460090000000123456789", map[string]any{"FullName": "A"})})
	jreq, _ := http.NewRequest(http.MethodPost, b.CoPBaseURL()+"/confirmation", strings.NewReader(withJTI))
	jreq.Header.Set("Content-Type", "application/jwt")
	jreq.Header.Set("Authorization", "Bearer "+tok)
	if jresp, err := c.http.Do(jreq); err != nil {
		t.Fatal(err)
	} else {
		jresp.Body.Close()
		if jresp.StatusCode != http.StatusBadRequest {
			t.Errorf("jti in the envelope: %d", jresp.StatusCode)
		}
	}
	// A payments token is not a CoP token.
	if r := c.copCall("discovery", c.clientCredentials(), map[string]any{"Data": map[string]any{"SchemeName": "IBAN", "Identification": "AE460090000000123456789"}}); r.Status != http.StatusForbidden {
		t.Errorf("payments token: %d", r.Status)
	}
	// A body signed with another key is refused.
	now := b.Now().Unix()
	other := signWith(t, testKey(t), "other-kid", "PS256", map[string]any{"iss": c.id, "exp": now + 60, "nbf": now - 10, "message": confirmMsg("AE460090000000123456789", map[string]any{"FullName": "A"})})
	req, _ := http.NewRequest(http.MethodPost, b.CoPBaseURL()+"/confirmation", strings.NewReader(other))
	req.Header.Set("Content-Type", "application/jwt")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("foreign signature: %d", resp.StatusCode)
	}
	// Without a client certificate nothing is answered.
	plain := &http.Client{Transport: &http.Transport{TLSClientConfig: c.http.Transport.(*http.Transport).TLSClientConfig.Clone()}}
	plain.Transport.(*http.Transport).TLSClientConfig.Certificates = nil
	if resp, err := plain.Post(b.CoPBaseURL()+"/discovery", "application/jwt", strings.NewReader("x")); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("no client certificate: %d", resp.StatusCode)
		}
	}
}

func TestCoPUnavailableFault(t *testing.T) {
	b := newBank(t, strictCoP)
	c := newTPP(t, b)
	tok := c.copToken()
	b.InjectFault(Fault{Kind: FaultUnavailable, Count: 1})
	if r := c.copCall("confirmation", tok, confirmMsg("AE460090000000123456789", map[string]any{"FullName": "Fatima Al Mansoori"})); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("fault: %d", r.Status)
	}
}

// Rule 41 at POST /payments: an open consent's payee needs a CoP answer this bank gave this
// client for that IBAN; IsCreditorConfirmed needs a Yes.
func TestRule41PaymentToUnconfirmedCreditor(t *testing.T) {
	b := newBank(t, strictCoP)
	c := newTPP(t, b)
	cons := c.authorizedConsent(consentPII())
	tok := c.copToken()
	cred := creditor("AE460090000000123456789", "Fatima Al Mansoori")
	yes := string(c.copCall("confirmation", tok, confirmMsg("AE460090000000123456789", map[string]any{"FullName": "Fatima Al Mansoori"})).Raw)
	no := string(c.copCall("confirmation", tok, confirmMsg("AE460090000000123456789", map[string]any{"FullName": "John Smith"})).Raw)
	other := newTPP(t, b)
	foreign := string(other.copCall("confirmation", other.copToken(), confirmMsg("AE460090000000123456789", map[string]any{"FullName": "Fatima Al Mansoori"})).Raw)

	pay := func(key string, cop string, confirmed *bool) rsResp {
		cr := map[string]any{}
		for k, v := range cred {
			cr[k] = v
		}
		if cop != "" {
			cr["ConfirmationOfPayeeResponse"] = cop
		}
		pii := paymentPII(c, cr)
		if confirmed != nil {
			pii["Risk"].(map[string]any)["CreditorIndicators"] = map[string]any{"IsCreditorConfirmed": *confirmed}
		}
		return c.pay(cons.access, key, c.paymentClaims(cons.id, "10.00", pii))
	}
	t1, f := true, false
	for name, tc := range map[string]struct {
		cop       string
		confirmed *bool
	}{
		"no answer":                {"", nil},
		"confirmed without answer": {"", &t1},
		"forged answer":            {yes[:len(yes)-4] + "AAAA", nil},
		"another client's answer":  {foreign, nil},
		"confirmed on a no match":  {no, &t1},
	} {
		r := pay("k-"+strings.ReplaceAll(name, " ", "-"), tc.cop, tc.confirmed)
		if r.Status != http.StatusBadRequest || r.errorCode() != "Consent.BusinessRuleViolation" || failedRule(b, r.InteractionID) != 41 {
			t.Errorf("%s: %d %s rule %d", name, r.Status, r.errorCode(), failedRule(b, r.InteractionID))
		}
	}
	if r := pay("k-yes", yes, &t1); r.Status != http.StatusCreated {
		t.Fatalf("confirmed payee: %d %v", r.Status, r.Claims)
	}
	if r := pay("k-no-accepted", no, &f); r.Status != http.StatusCreated {
		t.Fatalf("a no match the payer accepted: %d %v", r.Status, r.Claims)
	}
	// The answer names the account it confirmed: it does not cover another creditor.
	cred = creditor("AE590260123456789012345", "Falcon Trading LLC")
	if r := pay("k-other-account", yes, nil); r.Status != http.StatusBadRequest || failedRule(b, r.InteractionID) != 41 {
		t.Errorf("answer for another account: %d", r.Status)
	}
}

func TestRule41OffForUnconfirmedCreditorsWhenAllowed(t *testing.T) {
	b := newBank(t, func(cfg *Config) { cfg.AllowUnconfirmedCreditors = true })
	c := newTPP(t, b)
	cons := c.authorizedConsent(consentPII())
	r := c.pay(cons.access, "k-1", c.paymentClaims(cons.id, "10.00", paymentPII(c, creditor("AE460090000000123456789", "Anyone"))))
	if r.Status != http.StatusCreated {
		t.Fatalf("%d %v", r.Status, r.Claims)
	}
}

func strictCoP(cfg *Config) { cfg.AllowUnconfirmedCreditors = false }

// TestRule41OptedOutHolderAndRestart: a payment to an account whose holder opted out carries
// no answer (there is none): the bank takes it once this client asked and got 204, not before
// and not because another client asked. The answers outlive a restart on the same data dir
// (the wallet does not ask again for a payee it checked), a line cut short by a crash is
// dropped, and a corrupt answers file stops the bank from starting instead of forgetting them.
func TestRule41OptedOutHolderAndRestart(t *testing.T) {
	b := newBank(t, strictCoP)
	dir := b.cfg.DataDir
	c := newTPP(t, b)
	cons := c.authorizedConsent(consentPII())
	const optedOut = "AE620260001015678901234"
	pay := func(key string, cr map[string]any) rsResp {
		return c.pay(cons.access, key, c.paymentClaims(cons.id, "10.00", paymentPII(c, cr)))
	}
	if r := pay("k-before", creditor(optedOut, "Omar Haddad")); r.Status != http.StatusBadRequest || failedRule(b, r.InteractionID) != 41 {
		t.Fatalf("an opted-out holder nobody asked about: %d rule %d", r.Status, failedRule(b, r.InteractionID))
	}
	other := newTPP(t, b)
	if r := other.copCall("confirmation", other.copToken(), confirmMsg(optedOut, map[string]any{"FullName": "Omar Haddad"})); r.Status != http.StatusNoContent {
		t.Fatalf("opted out: %d", r.Status)
	}
	if r := pay("k-other-asked", creditor(optedOut, "Omar Haddad")); r.Status != http.StatusBadRequest || failedRule(b, r.InteractionID) != 41 {
		t.Fatalf("another client's question counted: %d", r.Status)
	}
	tok := c.copToken()
	if r := c.copCall("confirmation", tok, confirmMsg(optedOut, map[string]any{"FullName": "Omar Haddad"})); r.Status != http.StatusNoContent {
		t.Fatalf("opted out: %d", r.Status)
	}
	if r := pay("k-asked", creditor(optedOut, "Omar Haddad")); r.Status != http.StatusCreated {
		t.Fatalf("an opted-out holder this client asked about: %d %v", r.Status, r.Claims)
	}
	yes := string(c.copCall("confirmation", tok, confirmMsg("AE460090000000123456789", map[string]any{"FullName": "Fatima Al Mansoori"})).Raw)
	b.Close()
	// A crash cut the last line short: it is dropped, the answers before it are kept.
	f, err := os.OpenFile(filepath.Join(dir, copFile), os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"key":"0123`); err != nil {
		t.Fatal(err)
	}
	f.Close()

	b2 := newBank(t, func(cfg *Config) { strictCoP(cfg); cfg.DataDir = dir })
	c.bank = b2
	c.http = c.mtlsClient(c.certPEM, c.transKey)
	c.discover()
	cons = c.authorizedConsent(consentPII())
	cr := creditor("AE460090000000123456789", "Fatima Al Mansoori")
	cr["ConfirmationOfPayeeResponse"] = yes
	if r := pay("k-after-restart", cr); r.Status != http.StatusCreated {
		t.Fatalf("an answer given before the restart: %d %v", r.Status, r.Claims)
	}
	if r := pay("k-opted-out-after-restart", creditor(optedOut, "Omar Haddad")); r.Status != http.StatusCreated {
		t.Fatalf("an opted-out answer given before the restart: %d %v", r.Status, r.Claims)
	}
	b2.Close()
	if err := os.WriteFile(filepath.Join(dir, copFile), []byte("{not json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{DataDir: dir}); err == nil || !strings.Contains(err.Error(), copFile) {
		t.Fatalf("a corrupt answers file: %v", err)
	}
}
