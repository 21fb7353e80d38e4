package sandbox

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// adminSnapshot is every piece of state an admin call can change.
type adminSnapshot struct {
	consent string
	balance int64
	now     time.Time
	faults  int
	encKID  string
}

func snapshotForAdmin(t *testing.T, b *Bank, consentID string) adminSnapshot {
	t.Helper()
	st, err := b.ConsentStatus(consentID)
	if err != nil {
		t.Fatal(err)
	}
	b.faults.mu.Lock()
	faults := len(b.faults.queued)
	b.faults.mu.Unlock()
	b.mu.Lock()
	kid := b.enc.kid
	b.mu.Unlock()
	return adminSnapshot{consent: st, balance: b.BalanceFils(), now: b.Now(), faults: faults, encKID: kid}
}

// TestAdminRefusesNonLoopbackCallers: the admin API answers a caller whose address is not
// loopback with a bare 403, even with the right bearer token and a forwarding header claiming
// loopback, and changes nothing. The same requests from 127.0.0.1 and ::1 succeed, so the
// refusal is the address's doing.
func TestAdminRefusesNonLoopbackCallers(t *testing.T) {
	fixed := time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC)
	const token = "admin-test-token-0123456789"
	b := newBank(t, func(c *Config) { c.Clock = func() time.Time { return fixed } })
	c := newTPP(t, b)
	cons := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))
	// Admin calls need the token; set it after the TPP's setup, as TestIDTokenFaults does.
	b.cfg.AdminToken = token
	if err := b.InjectFault(Fault{Kind: FaultServerError, Count: 1}); err != nil {
		t.Fatal(err)
	}

	calls := []struct{ method, path, body string }{
		{http.MethodPost, "/admin/consents/" + cons.id + "/suspend", ""},
		{http.MethodPost, "/admin/consents/" + cons.id + "/revoke", ""},
		{http.MethodPost, "/admin/balance", `{"amount":"1.00"}`},
		{http.MethodPost, "/admin/clock", `{"advance":"1h"}`},
		{http.MethodPost, "/admin/faults", `{"kind":"rate_limit","count":5}`},
		{http.MethodDelete, "/admin/faults", ""},
		{http.MethodPost, "/admin/rotate-enc-key", ""},
		{http.MethodGet, "/admin/verdicts?n=500", ""},
	}
	call := func(method, path, body, remote string, header http.Header) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.RemoteAddr = remote
		req.Header.Set("Authorization", "Bearer "+token)
		for k, v := range header {
			req.Header[k] = v
		}
		w := httptest.NewRecorder()
		b.adminMux().ServeHTTP(w, req)
		return w
	}

	before := snapshotForAdmin(t, b, cons.id)
	for _, remote := range []string{"192.0.2.10:40000", "[2001:db8::1]:40000", "10.0.0.1:1", "0.0.0.0:40000", "", "127.0.0.1", "localhost:40000"} {
		for _, cl := range calls {
			t.Run(remote+" "+cl.method+" "+cl.path, func(t *testing.T) {
				w := call(cl.method, cl.path, cl.body, remote, http.Header{
					"X-Forwarded-For": {"127.0.0.1"}, "X-Real-Ip": {"127.0.0.1"}, "Forwarded": {"for=127.0.0.1"}})
				if w.Code != http.StatusForbidden || w.Body.Len() != 0 {
					t.Fatalf("from %q: HTTP %d, body %q; want a bare 403", remote, w.Code, w.Body)
				}
			})
		}
	}
	if after := snapshotForAdmin(t, b, cons.id); after != before {
		t.Fatalf("refused admin calls changed the bank: before %+v, after %+v", before, after)
	}

	// The control: loopback callers get through (IPv4 and IPv6).
	if w := call(http.MethodPost, "/admin/balance", `{"amount":"1.00"}`, "[::1]:40000", nil); w.Code != http.StatusOK {
		t.Fatalf("::1 balance: %d %s", w.Code, w.Body)
	}
	if w := call(http.MethodPost, "/admin/consents/"+cons.id+"/suspend", "", "127.0.0.1:40000", nil); w.Code != http.StatusOK {
		t.Fatalf("127.0.0.1 suspend: %d %s", w.Code, w.Body)
	}
	if after := snapshotForAdmin(t, b, cons.id); after.balance != 100 || after.consent != statusSuspended {
		t.Fatalf("loopback admin calls did not apply: %+v", after)
	}
}
