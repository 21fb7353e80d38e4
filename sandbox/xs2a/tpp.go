package xs2a

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// TPPRegistration is what a TPP gives the bank's QTSP stand-in (the same JSON over
// POST /tpp/register). Each key arrives as a PKCS#10 CSR (or, in process, as a public key);
// the bank answers with a QWAC-like transport certificate and a QSealC-like signing
// certificate issued by its CA.
type TPPRegistration struct {
	// ID is optional: a new UUID is assigned when empty. Re-registering an existing ID needs
	// that TPP's QWAC in the TLS handshake (over HTTPS) and replaces its certificates.
	ID   string `json:"tpp_id,omitempty"`
	Name string `json:"name"`
	// RedirectURIs: 1–10 HTTPS URIs, or loopback http://127.0.0.1|[::1] ones (any port at
	// request time). TPP-Redirect-URI, TPP-Nok-Redirect-URI and the OAuth redirect_uri must
	// match one (scheme, host, path; a query is allowed).
	RedirectURIs []string `json:"redirect_uris"`
	// TransportCSR and SigningCSR are PEM CERTIFICATE REQUESTs for two different RSA keys
	// (2048–4096 bits).
	TransportCSR string `json:"transport_csr_pem"`
	SigningCSR   string `json:"signing_csr_pem"`
	// TransportKey and SigningKey are the in-process alternative to the CSRs.
	TransportKey *rsa.PublicKey `json:"-"`
	SigningKey   *rsa.PublicKey `json:"-"`
}

// Registration is the answer: the TPP's id, both certificates (PEM), the CA, and the keyId
// this bank expects in Signature for the QSealC.
type Registration struct {
	TPPID     string `json:"tpp_id"`
	QWACPEM   string `json:"qwac_pem"`
	QSealCPEM string `json:"qsealc_pem"`
	CACertPEM string `json:"ca_cert_pem"`
	KeyID     string `json:"key_id"`
}

var tppIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Register adds (or replaces) a TPP and issues its certificates.
func (b *Bank) Register(reg TPPRegistration) (Registration, error) {
	id := reg.ID
	if id == "" {
		id = b.newID()
	}
	if !tppIDPattern.MatchString(id) {
		return Registration{}, errors.New("register TPP: tpp_id must be 1–64 of [A-Za-z0-9._-]")
	}
	name := strings.TrimSpace(reg.Name)
	if n := utf8.RuneCountInString(name); n < 1 || n > 70 || !utf8.ValidString(name) || strings.ContainsAny(name, "\x00\r\n") {
		return Registration{}, errors.New("register TPP: name must be 1–70 characters on one line")
	}
	if len(reg.RedirectURIs) < 1 || len(reg.RedirectURIs) > 10 {
		return Registration{}, errors.New("register TPP: 1–10 redirect_uris are required")
	}
	for i, u := range reg.RedirectURIs {
		if err := validRedirectURI(u); err != nil {
			return Registration{}, fmt.Errorf("register TPP: redirect_uris[%d]: %w", i, err)
		}
	}
	tk, err := keyFrom(reg.TransportCSR, reg.TransportKey, "transport")
	if err != nil {
		return Registration{}, fmt.Errorf("register TPP: %w", err)
	}
	sk, err := keyFrom(reg.SigningCSR, reg.SigningKey, "signing")
	if err != nil {
		return Registration{}, fmt.Errorf("register TPP: %w", err)
	}
	if tk.N.Cmp(sk.N) == 0 {
		return Registration{}, errors.New("register TPP: the transport and signing keys must differ (a QWAC and a QSealC are separate certificates)")
	}
	qwac, qwacPEM, err := b.ca.issue(kindQWAC, id, name, tk)
	if err != nil {
		return Registration{}, fmt.Errorf("register TPP: %w", err)
	}
	seal, sealPEM, err := b.ca.issue(kindQSealC, id, name, sk)
	if err != nil {
		return Registration{}, fmt.Errorf("register TPP: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	t := &TPP{ID: id, Name: name, RedirectURIs: append([]string(nil), reg.RedirectURIs...), CreatedAt: b.now(),
		QWACSerial: serialHex(qwac), QSealCSerial: serialHex(seal)}
	if old := b.st.TPPs[id]; old != nil { // the old certificates stop working
		t.CreatedAt = old.CreatedAt
		delete(b.st.Certs, old.QWACSerial)
		delete(b.st.Certs, old.QSealCSerial)
		b.touchLocked(recCert, old.QWACSerial)
		b.touchLocked(recCert, old.QSealCSerial)
	}
	b.st.TPPs[id] = t
	b.st.Certs[t.QWACSerial] = &certRecord{TPPID: id, Kind: kindQWAC}
	b.st.Certs[t.QSealCSerial] = &certRecord{TPPID: id, Kind: kindQSealC}
	b.touchLocked(recTPP, id)
	b.touchLocked(recCert, t.QWACSerial)
	b.touchLocked(recCert, t.QSealCSerial)
	if err := b.commitLocked(); err != nil {
		return Registration{}, fmt.Errorf("register TPP: %w", err)
	}
	return Registration{TPPID: id, QWACPEM: string(qwacPEM), QSealCPEM: string(sealPEM), CACertPEM: string(b.ca.certPEM),
		KeyID: keyIDFor(seal, b.prof)}, nil
}

func keyIDFor(seal *x509.Certificate, p Profile) string {
	style := p.KeyID
	if style.SerialCase == "any" {
		style.SerialCase = "upper"
	}
	return expectedKeyID(seal, style)
}

// TPPInfo returns a registered TPP.
func (b *Bank) TPPInfo(id string) (TPP, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.st.TPPs[id]
	if !ok {
		return TPP{}, false
	}
	return *t, true
}

func keyFrom(csrPEM string, key *rsa.PublicKey, what string) (*rsa.PublicKey, error) {
	switch {
	case csrPEM != "" && key != nil:
		return nil, fmt.Errorf("give the %s key as a CSR or a public key, not both", what)
	case key != nil:
		return key, nil
	case csrPEM == "":
		return nil, fmt.Errorf("a %s CSR is required", what)
	}
	blk, _ := pem.Decode([]byte(csrPEM))
	if blk == nil || blk.Type != "CERTIFICATE REQUEST" {
		return nil, fmt.Errorf("the %s CSR is not a PEM CERTIFICATE REQUEST", what)
	}
	csr, err := x509.ParseCertificateRequest(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse the %s CSR: %w", what, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("the %s CSR's signature does not verify (sign it with the key it names)", what)
	}
	pub, ok := csr.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("the %s CSR's key is not RSA", what)
	}
	return pub, nil
}

func validRedirectURI(s string) error {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return errors.New("must be an absolute URI")
	}
	if u.Fragment != "" || u.User != nil {
		return errors.New("must not carry a fragment or user info")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() {
			return nil
		}
		return errors.New("http is allowed only for loopback IP literals (127.0.0.1, [::1])")
	}
	return errors.New("scheme must be https")
}

// redirectAllowed checks a TPP-supplied redirect URI against the registered ones: same scheme,
// host and path (a loopback URI may change port); any query is allowed (it carries state).
func redirectAllowed(t *TPP, s string) bool {
	u, err := url.Parse(s)
	if err != nil || validRedirectURI(s) != nil {
		return false
	}
	for _, reg := range t.RedirectURIs {
		ru, err := url.Parse(reg)
		if err != nil || ru.Scheme != u.Scheme || ru.Path != u.Path {
			continue
		}
		if ru.Host == u.Host {
			return true
		}
		ip := net.ParseIP(ru.Hostname())
		if ru.Scheme == "http" && ip != nil && ip.IsLoopback() && ru.Hostname() == u.Hostname() {
			return true
		}
	}
	return false
}

// handleRegister is POST /tpp/register (JSON in, JSON out). A new TPP needs no client
// certificate; replacing one needs its current QWAC.
func (b *Bank) handleRegister(w http.ResponseWriter, r *http.Request) {
	writeJSON := func(status int, v any) {
		raw, _ := json.Marshal(v)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(raw)
	}
	bad := func(status int, msg string) { writeJSON(status, map[string]string{"error": msg}) }
	if !isJSON(r) {
		bad(http.StatusUnsupportedMediaType, "send the registration as application/json")
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10+1))
	if err != nil || len(raw) > 64<<10 {
		bad(http.StatusBadRequest, "the body is unreadable or larger than 64 KiB")
		return
	}
	var reg TPPRegistration
	if err := decodeStrict(raw, &reg); err != nil {
		bad(http.StatusBadRequest, err.Error())
		return
	}
	if reg.ID != "" {
		if _, exists := b.TPPInfo(reg.ID); exists {
			owner := ""
			if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
				b.mu.Lock()
				if rec := b.st.Certs[serialHex(r.TLS.PeerCertificates[0])]; rec != nil && rec.Kind == kindQWAC {
					owner = rec.TPPID
				}
				b.mu.Unlock()
			}
			if owner != reg.ID {
				bad(http.StatusUnauthorized, "replacing a registered TPP needs its current QWAC in the TLS handshake")
				return
			}
		}
	}
	out, err := b.Register(reg)
	if err != nil {
		bad(http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(http.StatusCreated, out)
}
