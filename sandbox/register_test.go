package sandbox

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
)

func csrPEM(t testing.TB, key *rsa.PrivateKey) string {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "x"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// postRegistration posts reg to /tf/register with hc and returns the status and the answer.
func postRegistration(t testing.TB, b *Bank, hc *http.Client, reg ClientRegistration) (int, Registration, string) {
	t.Helper()
	body, _ := json.Marshal(reg)
	resp, err := hc.Post(b.RegistrationURL(), "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw bytes.Buffer
	raw.ReadFrom(resp.Body)
	var out Registration
	var oe oauthError
	json.Unmarshal(raw.Bytes(), &out)
	json.Unmarshal(raw.Bytes(), &oe)
	return resp.StatusCode, out, oe.Error
}

// TestParallelRegistrationsOfOneClientID: registrations of one new client_id racing each other
// (each with its own CSR, no certificate) end with exactly one 201; every other one gets 401
// invalid_client, the answer a later registration of a taken client_id gets, and its CSR is
// not signed. The winner's certificate is the one the client is bound to.
func TestParallelRegistrationsOfOneClientID(t *testing.T) {
	b := newBank(t, nil)
	c := &tpp{t: t, bank: b, sig: testKey(t)}
	c.sigKID = kidOf(t, &c.sig.PublicKey)
	anon := c.mtlsClient(nil, nil)
	const racers = 6
	keys := make([]*rsa.PrivateKey, racers)
	csrs := make([]string, racers)
	for i := range keys {
		keys[i] = testKey(t)
		csrs[i] = csrPEM(t, keys[i])
	}
	for round := range 10 {
		id := "race-" + uuid.NewString()
		type result struct {
			status int
			reg    Registration
			code   string
		}
		results := make([]result, racers)
		var start, done sync.WaitGroup
		start.Add(1)
		for i := range racers {
			done.Add(1)
			go func() {
				defer done.Done()
				start.Wait()
				st, reg, code := postRegistration(t, b, anon, ClientRegistration{ClientID: id, Name: "Racer", SigningJWKS: c.jwks(),
					RedirectURIs: []string{loopback}, CSRPEM: csrs[i]})
				results[i] = result{st, reg, code}
			}()
		}
		start.Done()
		done.Wait()
		winners := 0
		for i, r := range results {
			switch {
			case r.status == http.StatusCreated:
				winners++
				cert := b.ca.issuedTo([]byte(r.reg.TransportCertPEM), id)
				got, _ := b.Client(id)
				if cert == nil || got.TransportCertThumbprint != certThumbprint(cert) {
					t.Fatalf("round %d: the winner's certificate is not the one bound to the client", round)
				}
				// The winner can use its certificate.
				w := &tpp{t: t, bank: b, id: id, sig: c.sig, sigKID: c.sigKID, transKey: keys[i], certPEM: []byte(r.reg.TransportCertPEM)}
				w.http = w.mtlsClient(w.certPEM, keys[i])
				w.discover()
				if cc := w.clientCredentials(); cc == "" {
					t.Fatalf("round %d: the winner gets no token", round)
				}
			case r.status != http.StatusUnauthorized || r.code != "invalid_client" || r.reg.TransportCertPEM != "":
				t.Fatalf("round %d: a losing registration got %d %q (certificate issued: %v)", round, r.status, r.code, r.reg.TransportCertPEM != "")
			}
		}
		if winners != 1 {
			t.Fatalf("round %d: %d of %d parallel registrations of one new client_id succeeded, want exactly 1", round, winners, racers)
		}
	}
}

// TestReRegistrationRevokesOldCertificate: a client re-registering over HTTPS with its current
// certificate and a new CSR gets a new certificate; the old one is refused from then on (AS,
// resource server, and registration itself), and the new one works.
func TestReRegistrationRevokesOldCertificate(t *testing.T) {
	b := newBank(t, nil)
	c := newTPP(t, b)
	cons := c.authorizedConsent(consentPII())
	oldHTTP, oldCert := c.http, c.certPEM
	newKey := testKey(t)
	st, reg, code := postRegistration(t, b, oldHTTP, ClientRegistration{ClientID: c.id, Name: c.name, SigningJWKS: c.jwks(),
		RedirectURIs: []string{loopback, "https://tpp.example/cb"}, CSRPEM: csrPEM(t, newKey)})
	if st != http.StatusCreated || reg.TransportCertPEM == "" || reg.TransportCertPEM == string(oldCert) {
		t.Fatalf("re-registration with a new CSR: %d %s", st, code)
	}

	// The old certificate: refused at the AS (401 invalid_client, rule 1) and the resource server.
	ro := c.requestObject(uuid.NewString(), consentPII(), testVerifier)
	if r := c.par(ro); r.Status != http.StatusUnauthorized || r.Body["error"] != "invalid_client" || failedRule(b, r.Header.Get("x-fapi-interaction-id")) != 1 {
		t.Fatalf("PAR with the revoked certificate: %d %v", r.Status, r.Body)
	}
	if g := c.rs(http.MethodGet, "/payment-consents/"+cons.id, cons.access, nil, ""); g.Status != http.StatusUnauthorized {
		t.Fatalf("resource call with the revoked certificate: %d", g.Status)
	}
	// ... and cannot re-register the client back.
	if st, _, code := postRegistration(t, b, oldHTTP, ClientRegistration{ClientID: c.id, Name: c.name, SigningJWKS: c.jwks(),
		RedirectURIs: []string{"https://evil.example/cb"}, CSRPEM: csrPEM(t, testKey(t))}); st != http.StatusUnauthorized || code != "invalid_client" {
		t.Fatalf("re-registration with the revoked certificate: %d %s", st, code)
	}

	// The new certificate works; tokens issued to the old one stay bound to it (RFC 8705).
	c.certPEM, c.transKey = []byte(reg.TransportCertPEM), newKey
	c.http = c.mtlsClient(c.certPEM, newKey)
	if g := c.rs(http.MethodGet, "/payment-consents/"+cons.id, cons.access, nil, ""); g.Status != http.StatusUnauthorized {
		t.Fatalf("a token bound to the old certificate, with the new one: %d", g.Status)
	}
	if cc := c.clientCredentials(); cc == "" {
		t.Fatal("no token with the new certificate")
	}
	if fresh := c.authorizedConsent(consentPII()); fresh.access == "" {
		t.Fatal("no consent with the new certificate")
	}

	// The binding survives a restart.
	dir := b.cfg.DataDir
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b2 := newBank(t, func(cfg *Config) { cfg.DataDir = dir })
	got, _ := b2.Client(c.id)
	if cert := b2.ca.issuedTo(c.certPEM, c.id); cert == nil || got.TransportCertThumbprint != certThumbprint(cert) {
		t.Fatal("the certificate binding did not survive a restart")
	}
}

// TestCACertificateOfAnotherRegistrantRefused: a certificate the CA issued with a client's CN
// but not bound to it (the case of a registrant that lost a race for the client_id, or any
// other holder of a CA-issued certificate) is refused at the AS and the resource server, and
// cannot replace the client's registration.
func TestCACertificateOfAnotherRegistrantRefused(t *testing.T) {
	b := newBank(t, nil)
	c := newTPP(t, b)
	k := testKey(t)
	certPEM, _, err := b.ca.issueClientCert(c.id, "Impostor", &k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	impostor := &tpp{t: t, bank: b, id: c.id, sig: c.sig, sigKID: c.sigKID, transKey: k, certPEM: certPEM, disc: c.disc, redirect: c.redirect,
		encKey: c.encKey, encKID: c.encKID, bankSig: c.bankSig}
	impostor.http = impostor.mtlsClient(certPEM, k)
	if r := impostor.par(impostor.requestObject(uuid.NewString(), consentPII(), testVerifier)); r.Status != http.StatusUnauthorized || failedRule(b, r.Header.Get("x-fapi-interaction-id")) != 1 {
		t.Fatalf("PAR with an unbound certificate of the client's CN: %d %v", r.Status, r.Body)
	}
	cc := c.clientCredentials()
	if g := impostor.rs(http.MethodGet, "/payments/x", cc, nil, ""); g.Status != http.StatusUnauthorized {
		t.Fatalf("resource call with an unbound certificate: %d", g.Status)
	}
	if st, _, code := postRegistration(t, b, impostor.http, ClientRegistration{ClientID: c.id, Name: "Impostor", SigningJWKS: c.jwks(),
		RedirectURIs: []string{"https://evil.example/cb"}}); st != http.StatusUnauthorized || code != "invalid_client" {
		t.Fatalf("re-registration with an unbound certificate: %d %s", st, code)
	}
	if got, _ := b.Client(c.id); strings.Join(got.RedirectURIs, " ") != loopback+" https://tpp.example/cb" || got.Name != c.name {
		t.Fatal("the impostor changed the client's registration")
	}
}

// TestLegacyClientBindsFirstCertificate: a client record written before certificates were
// bound (no thumbprint) is bound to the first certificate it presents after the upgrade, and
// from then on another certificate with its CN is refused.
func TestLegacyClientBindsFirstCertificate(t *testing.T) {
	dir := t.TempDir()
	b := newBank(t, func(cfg *Config) { cfg.DataDir = dir })
	c := newTPP(t, b)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	// Strip the binding as a state.json of the previous version would have it.
	path := filepath.Join(dir, stateFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	delete(st["clients"].(map[string]any)[c.id].(map[string]any), "transport_cert_x5t_s256")
	raw, _ = json.Marshal(st)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	b = newBank(t, func(cfg *Config) { cfg.DataDir = dir })
	c.bank, c.http = b, c.mtlsClient(c.certPEM, c.transKey)
	c.discover()
	if cc := c.clientCredentials(); cc == "" {
		t.Fatal("the legacy client's own certificate was refused")
	}
	k := testKey(t)
	other, _, _ := b.ca.issueClientCert(c.id, "Other", &k.PublicKey)
	o := &tpp{t: t, bank: b, id: c.id, sig: c.sig, sigKID: c.sigKID, transKey: k, disc: c.disc}
	o.http = o.mtlsClient(other, k)
	if r := o.postForm(o.disc.Token, o.tokenForm("client_credentials", "scope", "payments")); r.Status != http.StatusUnauthorized {
		t.Fatalf("a second certificate for a bound legacy client: %d", r.Status)
	}
}
