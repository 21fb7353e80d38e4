package xs2a

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestFaults(t *testing.T) {
	b, c := bgBank(t)
	t.Run("rate limit: 429 with Retry-After, nothing created", func(t *testing.T) {
		if err := b.InjectFault(Fault{Kind: FaultRateLimit, Count: 1, RetryAfter: 7}); err != nil {
			t.Fatal(err)
		}
		before := b.PaymentCount()
		r := c.do("POST", sctPath, bodyBG, opts{})
		if r.status != 429 || r.hdr.Get("Retry-After") != "7" || len(r.body) != 0 || b.PaymentCount() != before {
			t.Fatalf("%d %v %s", r.status, r.hdr, r.body)
		}
		if v, _ := b.VerdictFor(r.reqID); v.Code != "ACCESS_EXCEEDED" {
			t.Fatalf("verdict code %q", v.Code)
		}
		if r := c.do("POST", sctPath, bodyBG, opts{}); r.status != 201 {
			t.Fatalf("after the fault: %d", r.status)
		}
	})
	t.Run("unavailable: 503", func(t *testing.T) {
		_ = b.InjectFault(Fault{Kind: FaultUnavailable, Count: 2})
		for range 2 {
			if r := c.do("GET", sctPath+"/x/status", nil, opts{}); r.status != 503 {
				t.Fatalf("%d", r.status)
			}
		}
	})
	t.Run("dropped answer: the payment exists, the client gets no answer", func(t *testing.T) {
		_ = b.InjectFault(Fault{Kind: FaultDropAfterCommit, Count: 1})
		before := b.PaymentCount()
		r := c.do("POST", sctPath, bodyBG, opts{})
		if r.status != -1 {
			t.Fatalf("got an answer: %d", r.status)
		}
		if b.PaymentCount() != before+1 {
			t.Fatalf("payments %d → %d", before, b.PaymentCount())
		}
	})
	t.Run("unknown fault", func(t *testing.T) {
		if err := b.InjectFault(Fault{Kind: "explode", Count: 1}); err == nil {
			t.Fatal("accepted")
		}
	})
}

func TestAdminAPI(t *testing.T) {
	b := newTestBank(t, ProfileBG(), func(c *Config) { c.AdminToken = "secret-admin-token"; c.DecoupledManual = true })
	c := newTPP(t, b, 0)
	call := func(method, path, body, token string) (int, map[string]any) {
		req, _ := http.NewRequest(method, b.AdminURL()+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
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
	if st, _ := call("POST", "/admin/clock", `{"advance":"1s"}`, "wrong"); st != 401 {
		t.Fatalf("wrong token: %d", st)
	}
	c.psuID = "PSU-1"
	r := c.initiate(opts{hdr: map[string]string{"TPP-Decoupled-Preferred": "true"}})
	s := c.do("POST", c.pathOf(r.link("startAuthorisation")), nil, opts{})
	if st, m := call("POST", "/admin/authorisations/"+s.str("authorisationId")+"/approve", "", "secret-admin-token"); st != 200 || m["scaStatus"] != "finalised" {
		t.Fatalf("approve: %d %v", st, m)
	}
	if st, m := call("POST", "/admin/clock", `{"advance":"10s"}`, "secret-admin-token"); st != 200 || m["now"] == nil {
		t.Fatalf("clock: %d", st)
	}
	if st, m := call("GET", "/admin/payments/"+r.str("paymentId"), "", "secret-admin-token"); st != 200 || m["transactionStatus"] != "ACCC" {
		t.Fatalf("payment: %d %v", st, m)
	}
	if st, _ := call("POST", "/admin/faults", `{"kind":"no_funds","count":1}`, "secret-admin-token"); st != 204 {
		t.Fatalf("fault: %d", st)
	}
	if st, _ := call("POST", "/admin/balance", `{"currency":"EUR","amount":"5.00"}`, "secret-admin-token"); st != 200 || b.Balance("EUR") != 500 {
		t.Fatalf("balance: %d %d", st, b.Balance("EUR"))
	}
	if st, m := call("GET", "/admin/verdicts?request_id="+r.reqID, "", "secret-admin-token"); st != 200 || m["request_id"] != r.reqID {
		t.Fatalf("verdict: %d %v", st, m)
	}
	if st, m := call("DELETE", "/admin/sessions", "", "secret-admin-token"); st != 200 || m["ended"] != float64(0) {
		t.Fatalf("end sessions of a bg bank (none): %d %v", st, m)
	}
	if st, _ := call("POST", "/admin/clock", `{"advance":"soon"}`, "secret-admin-token"); st != 400 {
		t.Fatalf("bad clock: %d", st)
	}
}

func TestRegistrationOverHTTPS(t *testing.T) {
	b := newTestBank(t, ProfileSB1())
	tk, sk := testKey(2), testKey(3)
	csr := func(k interface{}) string { return csrPEM(t, k) }
	body, _ := json.Marshal(map[string]any{"name": "Foreign TPP", "redirect_uris": []string{"https://foreign.example/cb"},
		"transport_csr_pem": csr(tk), "signing_csr_pem": csr(sk)})
	tr := &http.Transport{TLSClientConfig: tlsTrust(b)}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Post(b.RegistrationURL(), "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var reg Registration
	_ = json.NewDecoder(resp.Body).Decode(&reg)
	if resp.StatusCode != 201 || reg.TPPID == "" || !strings.Contains(reg.QWACPEM, "CERTIFICATE") || !strings.Contains(reg.KeyID, "CA=CN=payterm Sandbox QTSP CA") {
		t.Fatalf("%d %+v", resp.StatusCode, reg)
	}
	// The certificates work: a payment call reaches the session gate (rule 25), past rules 1–17.
	c := tppFrom(t, b, reg, tk, sk)
	c.redirect = "https://foreign.example/cb"
	path, pbody := productPath(b.prof)
	r := c.do("POST", path, pbody, opts{wrap: true})
	expectRule(t, b, r, 401, "PSU_CREDENTIALS_INVALID", RulePSUSession)
	// Same key twice, a bad CSR, no redirect URI.
	for name, m := range map[string]map[string]any{
		"same key":    {"name": "X", "redirect_uris": []string{"https://x.example/cb"}, "transport_csr_pem": csr(tk), "signing_csr_pem": csr(tk)},
		"bad CSR":     {"name": "X", "redirect_uris": []string{"https://x.example/cb"}, "transport_csr_pem": "nope", "signing_csr_pem": csr(sk)},
		"no redirect": {"name": "X", "redirect_uris": []string{}, "transport_csr_pem": csr(tk), "signing_csr_pem": csr(sk)},
		"http":        {"name": "X", "redirect_uris": []string{"http://x.example/cb"}, "transport_csr_pem": csr(tk), "signing_csr_pem": csr(sk)},
	} {
		raw, _ := json.Marshal(m)
		resp, err := (&http.Client{Transport: tr}).Post(b.RegistrationURL(), "application/json", strings.NewReader(string(raw)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
	}
}
