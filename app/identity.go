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

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/keystore"
)

// identity is the TPP's Trust Framework identity: a client_id, a PS256 signing key with its kid,
// and the mTLS transport key and certificate. The keys are RSA crypto.Signers: in memory when
// they come from PEM files, handles into the token with [pkcs11] (tppkeys.go).
type identity struct {
	ClientID      string
	SigningKID    string
	SigningKey    crypto.Signer
	TransportKey  crypto.Signer
	TransportCert []byte // PEM chain, leaf first
}

// identityRecord is <data>/tpp/identity.json: what is not key material.
type identityRecord struct {
	ClientID     string    `json:"client_id"`
	SigningKID   string    `json:"signing_kid"`
	RedirectURIs []string  `json:"redirect_uris"`
	RegisteredAt time.Time `json:"registered_at"`
	// KeyStore is where the private keys are: "" for the PEM files beside this record,
	// "pkcs11" for a token (nothing secret is then in this folder).
	KeyStore string `json:"key_store,omitempty"`
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
func sandboxIdentity(ctx context.Context, dir string, reg registrar, redirectURI string, now func() time.Time, keys tppKeys) (identity, bool, error) {
	if id, rec, err := loadIdentity(dir, keys); err == nil && reg.Known(rec.ClientID) {
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
	id, err := newIdentity(keys)
	if err != nil {
		return identity{}, false, err
	}
	if err := registerClient(ctx, reg, &id, redirectURI, true); err != nil {
		return identity{}, false, fmt.Errorf("register TPP at the sandbox: %w", err)
	}
	rec := identityRecord{ClientID: id.ClientID, SigningKID: id.SigningKID, RedirectURIs: []string{redirectURI}, RegisteredAt: now().UTC(), KeyStore: keys.kind()}
	if err := saveIdentity(dir, id, rec, keys); err != nil {
		return identity{}, false, err
	}
	return id, true, nil
}

// newIdentity gets the keys of a new identity from keys: fresh ones from crypto/rand (key
// generation is never test-deterministic), or the token's, generated there when missing.
func newIdentity(keys tppKeys) (identity, error) {
	sig, tlsKey, err := keys.forNew()
	if err != nil {
		return identity{}, err
	}
	kid, err := thumbprintKID(sig.Public())
	if err != nil {
		return identity{}, err
	}
	return identity{SigningKID: kid, SigningKey: sig, TransportKey: tlsKey}, nil
}

// thumbprintKID is the RFC 7638 SHA-256 JWK thumbprint, base64url: the kid the sandbox (and
// the UAE directory) derive for a key, so it never needs inventing.
func thumbprintKID(pub crypto.PublicKey) (string, error) {
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
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: id.SigningKey.Public(), KeyID: id.SigningKID, Use: "sig", Algorithm: "PS256"}}})
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
		cert, err := tlsCertificate(id.TransportCert, id.TransportKey)
		if err != nil {
			return err
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
		if err := checkIssuedCert([]byte(out.TransportCertPEM), id.TransportKey.Public(), reg.RootCAs()); err != nil {
			return err
		}
		id.TransportCert = []byte(out.TransportCertPEM)
	}
	id.ClientID = out.ClientID
	return nil
}

// checkIssuedCert makes sure the certificate we were handed is for our transport key and
// chains to the bank's CA before we keep it.
func checkIssuedCert(certPEM []byte, key crypto.PublicKey, roots *x509.CertPool) error {
	blk, _ := pem.Decode(certPEM)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return errors.New("registration answer has no PEM transport certificate")
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return fmt.Errorf("parse transport certificate: %w", err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || !pub.Equal(key) {
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

// tlsCertificate pairs the PEM chain (leaf first) with its private key, which may be a
// token's: tls.X509KeyPair would need the key as PEM.
func tlsCertificate(chainPEM []byte, key crypto.Signer) (tls.Certificate, error) {
	var cert tls.Certificate
	for rest := chainPEM; ; {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		if blk.Type == "CERTIFICATE" {
			cert.Certificate = append(cert.Certificate, blk.Bytes)
		}
	}
	if len(cert.Certificate) == 0 {
		return tls.Certificate{}, errors.New("the transport certificate file holds no PEM certificate")
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("parse transport certificate: %w", err)
	}
	if pub, ok := leaf.PublicKey.(*rsa.PublicKey); !ok || !pub.Equal(key.Public()) {
		return tls.Certificate{}, errors.New("the transport certificate is not for the transport key")
	}
	cert.PrivateKey, cert.Leaf = key, leaf
	return cert, nil
}

func saveIdentity(dir string, id identity, rec identityRecord, keys tppKeys) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := keys.save(dir, id); err != nil {
		return fmt.Errorf("save TPP identity: %w", err)
	}
	if err := keystore.WriteFileAtomic(filepath.Join(dir, transportCertFile), id.TransportCert); err != nil {
		return fmt.Errorf("save TPP identity: %w", err)
	}
	// The record goes last: its presence means the key files beside it are complete.
	return writeJSONFile(filepath.Join(dir, identityFile), rec)
}

func loadIdentity(dir string, keys tppKeys) (identity, identityRecord, error) {
	raw, err := keystore.ReadPrivateFile(filepath.Join(dir, identityFile))
	if err != nil {
		return identity{}, identityRecord{}, err
	}
	var rec identityRecord
	if err := json.Unmarshal(raw, &rec); err != nil || !clientIDOK(rec.ClientID) || rec.SigningKID == "" ||
		(rec.KeyStore != "" && rec.KeyStore != keyStorePKCS11) {
		return identity{}, identityRecord{}, fmt.Errorf("%s is damaged; move the tpp folder away to register again", identityFile)
	}
	if rec.KeyStore != keys.kind() {
		return identity{}, identityRecord{}, keyStoreMismatch(dir, rec.KeyStore)
	}
	id := identity{ClientID: rec.ClientID, SigningKID: rec.SigningKID}
	if id.SigningKey, id.TransportKey, err = keys.load(dir); err != nil {
		return identity{}, identityRecord{}, err
	}
	if id.TransportCert, err = keystore.ReadPrivateFile(filepath.Join(dir, transportCertFile)); err != nil {
		return identity{}, identityRecord{}, fmt.Errorf("read transport certificate: %w", err)
	}
	// A token may hold another key under the same label (re-initialised, replaced): the keys
	// must be the ones this client registered.
	if kid, err := thumbprintKID(id.SigningKey.Public()); err != nil || kid != rec.SigningKID {
		return identity{}, identityRecord{}, fmt.Errorf("the signing key found (%s) is not the one this TPP registered; move %s away to register a new identity", keys.describe("signing"), dir)
	}
	if _, err := tlsCertificate(id.TransportCert, id.TransportKey); err != nil {
		return identity{}, identityRecord{}, fmt.Errorf("the transport key found (%s) is not the one this TPP registered (%v); move %s away to register a new identity", keys.describe("transport"), err, dir)
	}
	return id, rec, nil
}

// remoteIdentity loads the Trust Framework identity named in [bank]: the keys from their PEM
// files or the token, the certificate from its file.
func remoteIdentity(b config.Bank, keys tppKeys) (identity, error) {
	sig, tlsKey, err := keys.remote(b)
	if err != nil {
		return identity{}, err
	}
	cert, err := os.ReadFile(b.TransportCertFile)
	if err != nil {
		return identity{}, fmt.Errorf("read bank.transport_cert_file: %w", err)
	}
	return identity{ClientID: b.ClientID, SigningKID: b.SigningKID, SigningKey: sig, TransportKey: tlsKey, TransportCert: cert}, nil
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
