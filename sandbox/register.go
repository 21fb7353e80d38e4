package sandbox

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
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	jose "github.com/go-jose/go-jose/v4"
)

// ClientRegistration is what a TPP gives the Trust Framework stand-in. The same JSON shape is
// accepted by POST /tf/register and by files in <data dir>/clients/*.json.
type ClientRegistration struct {
	// ClientID is optional: a new UUID is assigned when empty.
	ClientID string `json:"client_id,omitempty"`
	// Name is shown on the consent page (1–140 characters).
	Name string `json:"name"`
	// SigningJWKS is the client's PUBLIC signing JWKS: RSA 2048–4096, each key with a kid,
	// use "sig" and alg PS256 or none; private keys are rejected.
	SigningJWKS json.RawMessage `json:"signing_jwks"`
	// RedirectURIs: 1–10 HTTPS URIs, or loopback http://127.0.0.1[:port]/path when allowed.
	RedirectURIs []string `json:"redirect_uris"`
	// Roles default to ["BSIP"]; "BDSP" allows the accounts scope.
	Roles []string `json:"roles,omitempty"`
	// CSRPEM is a PKCS#10 request for the transport key; the bank returns a certificate for it.
	// Optional on re-registration.
	CSRPEM string `json:"csr_pem,omitempty"`
	// TransportPublicKey is the in-process alternative to a CSR (Go API only).
	TransportPublicKey *rsa.PublicKey `json:"-"`
}

// Registration is the result: the client_id and, when a CSR or key was given, a transport
// certificate (PEM) signed by the sandbox CA, plus that CA.
type Registration struct {
	ClientID         string `json:"client_id"`
	TransportCertPEM string `json:"transport_cert_pem,omitempty"`
	CACertPEM        string `json:"ca_cert_pem"`
}

var clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// errNotOwner refuses a registration that would replace another registrant's client.
var errNotOwner = errors.New("replacing a registered client requires its current transport certificate")

// Register adds or replaces a client (the Go API of the Trust Framework stand-in; the caller
// is trusted). A registration with a CSR or key issues a new transport certificate and binds
// the client to it, which revokes the one it had.
func (b *Bank) Register(reg ClientRegistration) (Registration, error) {
	return b.register(reg, nil, false)
}

// register validates reg, then in one critical section checks who may write the record,
// issues the certificate and commits: of two registrations of one new client_id exactly one
// wins. Over HTTPS (authenticate) replacing an existing client needs that client's bound
// certificate (presented); a new client needs none.
func (b *Bank) register(reg ClientRegistration, presented *x509.Certificate, authenticate bool) (Registration, error) {
	c, pub, err := b.validateRegistration(reg)
	if err != nil {
		return Registration{}, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	old, exists := b.st.Clients[c.ClientID]
	if exists && authenticate {
		if presented == nil || presented.Subject.CommonName != c.ClientID ||
			(old.TransportCertThumbprint != "" && old.TransportCertThumbprint != certThumbprint(presented)) {
			return Registration{}, errNotOwner
		}
	}
	if pub == nil && !exists {
		return Registration{}, errors.New("register client: a new client needs a transport CSR")
	}
	out := Registration{ClientID: c.ClientID, CACertPEM: string(b.ca.certPEM)}
	switch {
	case pub != nil:
		certPEM, tp, err := b.ca.issueClientCert(c.ClientID, c.Name, pub)
		if err != nil {
			return Registration{}, fmt.Errorf("register client: %w", err)
		}
		out.TransportCertPEM, c.TransportCertThumbprint = string(certPEM), tp
	case old.TransportCertThumbprint == "" && presented != nil:
		c.TransportCertThumbprint = certThumbprint(presented) // binds a record from before binding
	default:
		c.TransportCertThumbprint = old.TransportCertThumbprint
	}
	if exists {
		c.CreatedAt = old.CreatedAt
	} else {
		c.CreatedAt = b.nowLocked()
	}
	b.st.Clients[c.ClientID] = c
	b.touchLocked(kindClient, c.ClientID)
	if err := b.commitLocked(); err != nil {
		if exists {
			b.st.Clients[c.ClientID] = old
		} else {
			delete(b.st.Clients, c.ClientID)
		}
		return Registration{}, fmt.Errorf("register client: %w", err)
	}
	return out, nil
}

// Client returns a registered client.
func (b *Bank) Client(clientID string) (Client, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.st.Clients[clientID]
	if !ok {
		return Client{}, false
	}
	return *c, true
}

func (b *Bank) validateRegistration(reg ClientRegistration) (*Client, *rsa.PublicKey, error) {
	id := reg.ClientID
	if id == "" {
		id = b.newUUID()
	}
	if !clientIDPattern.MatchString(id) {
		return nil, nil, errors.New("register client: client_id must be 1–128 of [A-Za-z0-9._:-]")
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(reg.Name)); n < 1 || n > 140 || !utf8.ValidString(reg.Name) {
		return nil, nil, errors.New("register client: name must be 1–140 characters")
	}
	if _, err := parseClientJWKS(reg.SigningJWKS); err != nil {
		return nil, nil, fmt.Errorf("register client: %w", err)
	}
	if len(reg.RedirectURIs) < 1 || len(reg.RedirectURIs) > 10 {
		return nil, nil, errors.New("register client: 1–10 redirect_uris are required")
	}
	for i, u := range reg.RedirectURIs {
		if err := b.validRedirectURI(u); err != nil {
			return nil, nil, fmt.Errorf("register client: redirect_uris[%d]: %w", i, err)
		}
	}
	roles := reg.Roles
	if len(roles) == 0 {
		roles = []string{"BSIP"}
	}
	for _, r := range roles {
		if r != "BSIP" && r != "BDSP" {
			return nil, nil, fmt.Errorf("register client: unknown role %q (want BSIP or BDSP)", r)
		}
	}
	pub := reg.TransportPublicKey
	if reg.CSRPEM != "" {
		if pub != nil {
			return nil, nil, errors.New("register client: give a CSR or a public key, not both")
		}
		var err error
		if pub, err = parseCSR(reg.CSRPEM); err != nil {
			return nil, nil, fmt.Errorf("register client: %w", err)
		}
	}
	return &Client{
		ClientID:     id,
		Name:         strings.TrimSpace(reg.Name),
		SigningJWKS:  append(json.RawMessage(nil), reg.SigningJWKS...),
		RedirectURIs: append([]string(nil), reg.RedirectURIs...),
		Roles:        slices.Clone(roles),
	}, pub, nil
}

func parseCSR(s string) (*rsa.PublicKey, error) {
	blk, _ := pem.Decode([]byte(s))
	if blk == nil || blk.Type != "CERTIFICATE REQUEST" {
		return nil, errors.New("csr_pem is not a PEM CERTIFICATE REQUEST")
	}
	csr, err := x509.ParseCertificateRequest(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse CSR: %w", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("CSR signature: %w", err)
	}
	pub, ok := csr.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("CSR key is not RSA")
	}
	return pub, nil
}

// parseClientJWKS accepts only public RSA signing keys of 2048–4096 bits with a kid.
func parseClientJWKS(raw json.RawMessage) (*jose.JSONWebKeySet, error) {
	if len(raw) == 0 {
		return nil, errors.New("signing_jwks is required")
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, fmt.Errorf("signing_jwks: %w", err)
	}
	if len(set.Keys) == 0 || len(set.Keys) > 10 {
		return nil, errors.New("signing_jwks must hold 1–10 keys")
	}
	for i, k := range set.Keys {
		pub, ok := k.Key.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("signing_jwks key %d: must be a public RSA key", i)
		}
		if n := pub.N.BitLen(); n < 2048 || n > 4096 {
			return nil, fmt.Errorf("signing_jwks key %d: RSA key is %d bits; want 2048–4096", i, n)
		}
		if k.KeyID == "" {
			return nil, fmt.Errorf("signing_jwks key %d: kid is required", i)
		}
		if k.Use != "sig" {
			return nil, fmt.Errorf("signing_jwks key %d: use must be sig", i)
		}
		if k.Algorithm != "" && k.Algorithm != "PS256" {
			return nil, fmt.Errorf("signing_jwks key %d: alg must be PS256", i)
		}
	}
	return &set, nil
}

// validRedirectURI: HTTPS absolute without fragment, or (when allowed) a loopback
// http://127.0.0.1 or http://[::1] URI (RFC 8252 §7.3; the port may vary at request time).
func (b *Bank) validRedirectURI(s string) error {
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
		if *b.cfg.AllowLoopbackRedirect && isLoopbackIPHost(u.Hostname()) {
			return nil
		}
		return errors.New("http is allowed only for loopback IP literals (127.0.0.1, [::1])")
	}
	return errors.New("scheme must be https")
}

func isLoopbackIPHost(h string) bool {
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// handleRegister is POST /tf/register: JSON in, JSON out. No client certificate is needed for
// a new client; replacing an existing one needs that client's bound certificate, checked in
// the same critical section as the write (so two registrations of one new client_id cannot
// both succeed: the second finds the client and no certificate of it).
func (b *Bank) handleRegister(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeOAuthError(w, "invalid_request", "content type must be application/json")
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10+1))
	if err != nil || len(raw) > 64<<10 {
		writeOAuthError(w, "invalid_request", "body too large or unreadable")
		return
	}
	var reg ClientRegistration
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&reg); err != nil {
		writeOAuthError(w, "invalid_request", "registration body is not the expected JSON")
		return
	}
	var presented *x509.Certificate
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		presented = r.TLS.PeerCertificates[0] // VerifyClientCertIfGiven checked its chain
	}
	out, err := b.register(reg, presented, true)
	if errors.Is(err, errNotOwner) {
		check(r.Context(), 1, "re-registration presents the client's bound certificate", err)
		writeJSON(w, http.StatusUnauthorized, oauthError{Error: "invalid_client", ErrorDescription: err.Error()})
		return
	}
	if err != nil {
		writeOAuthError(w, "invalid_request", err.Error())
		return
	}
	setVerdictClient(r.Context(), out.ClientID)
	writeJSON(w, http.StatusCreated, out)
}

// loadClientFiles registers every <data dir>/clients/*.json (standalone mode: a foreign client
// drops its registration there). A file with a CSR gets <name>.cert.pem written beside it.
func (b *Bank) loadClientFiles() error {
	if b.cfg.DataDir == "" {
		return nil
	}
	dir := filepath.Join(b.cfg.DataDir, "clients")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read clients dir: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		raw, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read client file %s: %w", e.Name(), err)
		}
		var reg ClientRegistration
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&reg); err != nil {
			return fmt.Errorf("client file %s: %w", e.Name(), err)
		}
		if reg.ClientID == "" {
			return fmt.Errorf("client file %s: client_id is required", e.Name())
		}
		certPath := strings.TrimSuffix(path, ".json") + ".cert.pem"
		var issued *x509.Certificate
		if certPEM, err := os.ReadFile(certPath); err == nil {
			if _, known := b.Client(reg.ClientID); known {
				reg.CSRPEM = "" // already issued; keep the existing certificate
				// A record from before certificates were bound is bound to the file's.
				issued = b.ca.issuedTo(certPEM, reg.ClientID)
			}
		}
		out, err := b.register(reg, issued, false)
		if err != nil {
			return fmt.Errorf("client file %s: %w", e.Name(), err)
		}
		if out.TransportCertPEM != "" {
			if err := writeFileAtomic(certPath, []byte(out.TransportCertPEM)); err != nil {
				return fmt.Errorf("client file %s: %w", e.Name(), err)
			}
		}
	}
	return nil
}
