package app

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/keystore"
)

// identity is the TPP's Trust Framework identity: a client_id, a PS256 signing key with its kid,
// and the mTLS transport key and certificate.
type identity struct {
	ClientID      string
	SigningKID    string
	SigningKey    *rsa.PrivateKey
	TransportKey  *rsa.PrivateKey
	TransportCert []byte // PEM chain, leaf first
}

// identityRecord is <data>/tpp/identity.json: what is not key material.
type identityRecord struct {
	ClientID     string    `json:"client_id"`
	SigningKID   string    `json:"signing_kid"`
	RedirectURIs []string  `json:"redirect_uris"`
	RegisteredAt time.Time `json:"registered_at"`
}

const (
	identityFile      = "identity.json"
	signingKeyFile    = "signing-key.pem"
	transportKeyFile  = "transport-key.pem"
	transportCertFile = "transport-cert.pem"
	tppClientName     = "payterm wallet"
)

// registrar is the part of the embedded sandbox the identity needs.
type registrar interface {
	RegistrationURL() string
	RootCAs() *x509.CertPool
	Known(clientID string) bool
}

// sandboxIdentity loads the identity kept under dir, or creates one and registers it through
// the sandbox's HTTPS registration endpoint (the Trust Framework stand-in), as a real TPP would
// enrol in the directory. A kept identity is reused as long as the bank still knows its client;
// a changed redirect URI re-registers the same client over mTLS.
func sandboxIdentity(ctx context.Context, dir string, reg registrar, redirectURI string, now func() time.Time) (identity, bool, error) {
	if id, rec, err := loadIdentity(dir); err == nil && reg.Known(rec.ClientID) {
		if slices.Equal(rec.RedirectURIs, []string{redirectURI}) {
			return id, false, nil
		}
		if err := registerClient(ctx, reg, &id, redirectURI, false); err != nil {
			return identity{}, false, fmt.Errorf("update TPP registration: %w", err)
		}
		rec.RedirectURIs = []string{redirectURI}
		if err := writeJSONFile(filepath.Join(dir, identityFile), rec); err != nil {
			return identity{}, false, err
		}
		return id, true, nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return identity{}, false, fmt.Errorf("load TPP identity: %w", err)
	}
	id, err := newIdentity()
	if err != nil {
		return identity{}, false, err
	}
	if err := registerClient(ctx, reg, &id, redirectURI, true); err != nil {
		return identity{}, false, fmt.Errorf("register TPP at the sandbox: %w", err)
	}
	rec := identityRecord{ClientID: id.ClientID, SigningKID: id.SigningKID, RedirectURIs: []string{redirectURI}, RegisteredAt: now().UTC()}
	if err := saveIdentity(dir, id, rec); err != nil {
		return identity{}, false, err
	}
	return id, true, nil
}

// newIdentity draws fresh keys from crypto/rand: key generation is never test-deterministic.
func newIdentity() (identity, error) {
	sig, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return identity{}, fmt.Errorf("generate signing key: %w", err)
	}
	tlsKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return identity{}, fmt.Errorf("generate transport key: %w", err)
	}
	kid, err := thumbprintKID(&sig.PublicKey)
	if err != nil {
		return identity{}, err
	}
	return identity{SigningKID: kid, SigningKey: sig, TransportKey: tlsKey}, nil
}

// thumbprintKID is the RFC 7638 SHA-256 JWK thumbprint, base64url: the kid the sandbox (and
// the UAE directory) derive for a key, so it never needs inventing.
func thumbprintKID(pub *rsa.PublicKey) (string, error) {
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("signing key thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// registration mirrors the sandbox's POST /tf/register body and answer.
type registration struct {
	ClientID     string          `json:"client_id,omitempty"`
	Name         string          `json:"name"`
	SigningJWKS  json.RawMessage `json:"signing_jwks"`
	RedirectURIs []string        `json:"redirect_uris"`
	Roles        []string        `json:"roles,omitempty"`
	CSRPEM       string          `json:"csr_pem,omitempty"`
}

type registrationAnswer struct {
	ClientID         string `json:"client_id"`
	TransportCertPEM string `json:"transport_cert_pem"`
	CACertPEM        string `json:"ca_cert_pem"`
}

// registerClient posts the registration. A new client sends a CSR for its transport key and
// gets a certificate back; an update presents the existing certificate (mTLS), as the sandbox
// requires for replacing a client.
func registerClient(ctx context.Context, reg registrar, id *identity, redirectURI string, fresh bool) error {
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &id.SigningKey.PublicKey, KeyID: id.SigningKID, Use: "sig", Algorithm: "PS256"}}})
	if err != nil {
		return fmt.Errorf("encode signing JWKS: %w", err)
	}
	body := registration{Name: tppClientName, SigningJWKS: jwks, RedirectURIs: []string{redirectURI}, Roles: []string{"BSIP"}}
	tlsCfg := &tls.Config{RootCAs: reg.RootCAs(), MinVersion: tls.VersionTLS12}
	if fresh {
		csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: tppClientName}}, id.TransportKey)
		if err != nil {
			return fmt.Errorf("create CSR: %w", err)
		}
		body.CSRPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr}))
	} else {
		body.ClientID = id.ClientID
		cert, err := tls.X509KeyPair(id.TransportCert, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(id.TransportKey)}))
		if err != nil {
			return fmt.Errorf("load transport certificate: %w", err)
		}
		tlsCfg.Certificates = []tls.Certificate{cert}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode registration: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, reg.RegistrationURL(), bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("build registration request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("post registration: %w", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("read registration answer: %w", err)
	}
	if resp.StatusCode != http.StatusCreated {
		var oe struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(answer, &oe)
		return fmt.Errorf("registration refused: HTTP %d %s", resp.StatusCode, safetext.Short(oe.Error, 40))
	}
	var out registrationAnswer
	if err := json.Unmarshal(answer, &out); err != nil {
		return fmt.Errorf("registration answer is not JSON: %w", err)
	}
	if !clientIDOK(out.ClientID) || (!fresh && out.ClientID != id.ClientID) {
		return errors.New("registration answer has no usable client_id")
	}
	if fresh {
		if err := checkIssuedCert([]byte(out.TransportCertPEM), id.TransportKey, reg.RootCAs()); err != nil {
			return err
		}
		id.TransportCert = []byte(out.TransportCertPEM)
	}
	id.ClientID = out.ClientID
	return nil
}

// checkIssuedCert makes sure the certificate we were handed is for our transport key and
// chains to the bank's CA before we keep it.
func checkIssuedCert(certPEM []byte, key *rsa.PrivateKey, roots *x509.CertPool) error {
	blk, _ := pem.Decode(certPEM)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return errors.New("registration answer has no PEM transport certificate")
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return fmt.Errorf("parse transport certificate: %w", err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return errors.New("the issued transport certificate is not for our transport key")
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return fmt.Errorf("the issued transport certificate does not chain to the sandbox CA: %w", err)
	}
	return nil
}

func clientIDOK(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == ':' || r == '-') {
			return false
		}
	}
	return true
}

func saveIdentity(dir string, id identity, rec identityRecord) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	files := []struct {
		name string
		data []byte
	}{
		{signingKeyFile, pemKey(id.SigningKey)},
		{transportKeyFile, pemKey(id.TransportKey)},
		{transportCertFile, id.TransportCert},
	}
	for _, f := range files {
		if err := keystore.WriteFileAtomic(filepath.Join(dir, f.name), f.data); err != nil {
			return fmt.Errorf("save TPP identity: %w", err)
		}
	}
	// The record goes last: its presence means the key files beside it are complete.
	return writeJSONFile(filepath.Join(dir, identityFile), rec)
}

func loadIdentity(dir string) (identity, identityRecord, error) {
	raw, err := keystore.ReadPrivateFile(filepath.Join(dir, identityFile))
	if err != nil {
		return identity{}, identityRecord{}, err
	}
	var rec identityRecord
	if err := json.Unmarshal(raw, &rec); err != nil || !clientIDOK(rec.ClientID) || rec.SigningKID == "" {
		return identity{}, identityRecord{}, fmt.Errorf("%s is damaged; move the tpp folder away to register again", identityFile)
	}
	id := identity{ClientID: rec.ClientID, SigningKID: rec.SigningKID}
	if id.SigningKey, err = readKeyFile(filepath.Join(dir, signingKeyFile), true); err != nil {
		return identity{}, identityRecord{}, err
	}
	if id.TransportKey, err = readKeyFile(filepath.Join(dir, transportKeyFile), true); err != nil {
		return identity{}, identityRecord{}, err
	}
	if id.TransportCert, err = keystore.ReadPrivateFile(filepath.Join(dir, transportCertFile)); err != nil {
		return identity{}, identityRecord{}, fmt.Errorf("read transport certificate: %w", err)
	}
	return id, rec, nil
}

// remoteIdentity loads the Trust Framework files named in [bank].
func remoteIdentity(clientID, kid, signingKeyPath, certPath, keyPath string) (identity, error) {
	sig, err := readKeyFile(signingKeyPath, false)
	if err != nil {
		return identity{}, err
	}
	tlsKey, err := readKeyFile(keyPath, false)
	if err != nil {
		return identity{}, err
	}
	cert, err := os.ReadFile(certPath)
	if err != nil {
		return identity{}, fmt.Errorf("read bank.transport_cert_file: %w", err)
	}
	return identity{ClientID: clientID, SigningKID: kid, SigningKey: sig, TransportKey: tlsKey, TransportCert: cert}, nil
}

// readKeyFile reads an RSA private key (PKCS#1 or PKCS#8 PEM). Our own files must be private
// (0600); files the user supplies are only read.
func readKeyFile(path string, ours bool) (*rsa.PrivateKey, error) {
	var raw []byte
	var err error
	if ours {
		raw, err = keystore.ReadPrivateFile(path)
	} else {
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read key %s: %w", filepath.Base(path), err)
	}
	blk, _ := pem.Decode(raw)
	if blk == nil {
		return nil, fmt.Errorf("key %s is not PEM", filepath.Base(path))
	}
	switch blk.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", filepath.Base(path), err)
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", filepath.Base(path), err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("key %s is not an RSA key", filepath.Base(path))
		}
		return rk, nil
	}
	return nil, fmt.Errorf("key %s: unexpected PEM block %q", filepath.Base(path), safetext.Short(blk.Type, 30))
}

func pemKey(k *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

func writeJSONFile(path string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	// A bundle or record may be printed with cat: DEL, C1 and bidi controls are \u-escaped.
	if err := keystore.WriteFileAtomic(path, append(safetext.JSON(raw), '\n')); err != nil {
		return fmt.Errorf("save %s: %w", filepath.Base(path), err)
	}
	return nil
}
