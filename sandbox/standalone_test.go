package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestStandalone runs `payterm sandbox` in-process: banner, admin API, and a non-payterm client
// doing the whole journey with auto-approve.
func TestStandalone(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan *Bank, 1)
	var out lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- RunStandalone(ctx, StandaloneOptions{Config: Config{DataDir: dir, AutoApprove: true}, Out: &out,
			OnStart: func(b *Bank) { started <- b }})
	}()
	var b *Bank
	select {
	case b = <-started:
	case err := <-done:
		t.Fatalf("standalone ended: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("standalone did not start")
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunStandalone: %v", err)
		}
	}()
	banner := out.String()
	for _, want := range []string{b.DiscoveryURL(), filepath.Join(dir, "ca.pem"), filepath.Join(dir, "admin-token"), b.AdminURL()} {
		if !strings.Contains(banner, want) {
			t.Fatalf("banner lacks %q:\n%s", want, banner)
		}
	}
	tok, err := os.ReadFile(filepath.Join(dir, "admin-token"))
	if err != nil {
		t.Fatal(err)
	}
	admin := func(method, path, body string, auth bool) (int, map[string]any) {
		req, _ := http.NewRequest(method, b.AdminURL()+path, strings.NewReader(body))
		if auth {
			req.Header.Set("Authorization", "Bearer "+string(tok))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		return resp.StatusCode, m
	}
	if st, _ := admin("POST", "/admin/balance", `{"amount":"1.00"}`, false); st != 401 {
		t.Fatalf("admin without token: %d", st)
	}

	c := newTPP(t, b)
	c.redirect = "https://tpp.example/cb"
	uri, ro := c.pushed(consentPII(creditor(testIBAN, "Ivan England")))
	resp, err := c.http.Get(c.authorizeURL(uri))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := resp.Location()
	if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Query().Get("code") == "" || loc.Query().Get("state") != ro["state"] {
		t.Fatalf("auto-approve: %d %v", resp.StatusCode, loc)
	}
	tr := c.postForm(c.disc.Token, c.tokenForm("authorization_code", "code", loc.Query().Get("code"), "redirect_uri", c.redirect, "code_verifier", testVerifier))
	if tr.Status != 200 {
		t.Fatalf("token: %d %v", tr.Status, tr.Body)
	}
	consentID := consentOf(ro)["ConsentId"].(string)
	access := tr.Body["access_token"].(string)

	if st, m := admin("POST", "/admin/consents/"+consentID+"/suspend", "", true); st != 200 || m["status"] != "Suspended" {
		t.Fatalf("suspend: %d %v", st, m)
	}
	p := c.pay(access, uuid.NewString(), c.paymentClaims(consentID, "3.00", paymentPII(c, creditor(testIBAN, "Ivan England"))))
	if p.Status != 400 || p.errorCode() != "Consent.Invalid" {
		t.Fatalf("payment on a suspended consent: %d %s", p.Status, p.errorCode())
	}
	if st, _ := admin("POST", "/admin/consents/"+consentID+"/restore", "", true); st != 200 {
		t.Fatalf("restore: %d", st)
	}
	if st, _ := admin("POST", "/admin/balance", `{"amount":"2.00"}`, true); st != 200 {
		t.Fatalf("balance: %d", st)
	}
	p = c.pay(access, uuid.NewString(), c.paymentClaims(consentID, "3.00", paymentPII(c, creditor(testIBAN, "Ivan England"))))
	if p.Status != 201 {
		t.Fatalf("payment: %d %s", p.Status, p.Raw)
	}
	if st, _ := admin("POST", "/admin/clock", `{"advance":"10s"}`, true); st != 200 {
		t.Fatalf("clock: %d", st)
	}
	if g := c.rs(http.MethodGet, "/payments/"+p.data()["PaymentId"].(string), access, nil, ""); g.data()["Status"] != "Rejected" {
		t.Fatalf("over balance: %v", g.data())
	}
	if st, _ := admin("POST", "/admin/faults", `{"kind":"rate_limit","count":1,"retry_after":2}`, true); st != 204 {
		t.Fatalf("fault: %d", st)
	}
	if g := c.rs(http.MethodGet, "/payment-consents/"+consentID, access, nil, ""); g.Status != 429 {
		t.Fatalf("after rate-limit fault: %d", g.Status)
	}
	if st, _ := admin("POST", "/admin/faults", `{"kind":"bogus","count":1}`, true); st != 400 {
		t.Fatalf("bogus fault: %d", st)
	}
	req, _ := http.NewRequest("GET", b.AdminURL()+"/admin/verdicts?interaction_id="+p.InteractionID, nil)
	req.Header.Set("Authorization", "Bearer "+string(tok))
	vr, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rawVerdict, err := io.ReadAll(vr.Body)
	vr.Body.Close()
	var v Verdict
	if err != nil || json.Unmarshal(rawVerdict, &v) != nil {
		t.Fatalf("admin verdict unreadable: %v %q", err, rawVerdict)
	}
	if v.InteractionID != p.InteractionID || v.Status != 201 || len(v.Checks) < 10 || v.Failed() {
		t.Fatalf("admin verdict: %+v", v)
	}
	for _, secret := range []string{testIBAN, "Ivan England", access} {
		if strings.Contains(string(rawVerdict), secret) {
			t.Fatalf("admin verdict carries %q", secret)
		}
	}
	if st, m := admin("POST", "/admin/consents/"+consentID+"/revoke", "", true); st != 200 || m["status"] != "Revoked" {
		t.Fatalf("revoke: %d %v", st, m)
	}
	if st, _ := admin("POST", "/admin/consents/"+uuid.NewString()+"/expire", "", true); st != 404 {
		t.Fatalf("unknown consent: %d", st)
	}
	if st, _ := admin("POST", "/admin/rotate-enc-key", "", true); st != 200 {
		t.Fatalf("rotate: %d", st)
	}
	// The banner and the server's error log go to Out: never the admin token, a user token or PII.
	for _, secret := range []string{string(tok), access, testIBAN, "Ivan England"} {
		if strings.Contains(out.String(), secret) {
			t.Fatalf("standalone output carries %q:\n%s", secret, out.String())
		}
	}
}
