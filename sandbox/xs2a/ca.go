package xs2a

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/payterm/payterm/internal/atomicfile"
	"github.com/payterm/payterm/sandbox/internal/servercert"
)

// bankCA stands in for the QTSP that issues eIDAS certificates: it signs the bank's TLS
// certificate and each TPP's QWAC (transport, mTLS) and QSealC (signing).
type bankCA struct {
	cert    *x509.Certificate
	certPEM []byte
	key     *rsa.PrivateKey
	rand    io.Reader
	now     func() time.Time
}

const (
	caCertFile = "ca.pem"
	caKeyFile  = "ca-key.pem"
)

// oidOrganizationIdentifier is X.520 organizationIdentifier (2.5.4.97), where an eIDAS PSD2
// certificate carries the TPP's authorisation number (ETSI TS 119 495 §5.2.1).
var oidOrganizationIdentifier = asn1.ObjectIdentifier{2, 5, 4, 97}

func caCountry(p Profile) string {
	switch p.Name {
	case "sb1":
		return "NO"
	case "bog":
		return "GE"
	}
	return "DE"
}

func loadOrCreateCA(dir string, rnd io.Reader, now func() time.Time, prof Profile) (*bankCA, error) {
	if dir != "" {
		certPEM, errC := os.ReadFile(filepath.Join(dir, caCertFile))
		keyPEM, errK := os.ReadFile(filepath.Join(dir, caKeyFile))
		if errC == nil && errK == nil {
			cert, err := parseCertPEM(certPEM)
			if err != nil {
				return nil, fmt.Errorf("read CA: %w", err)
			}
			blk, _ := pem.Decode(keyPEM)
			if blk == nil {
				return nil, errors.New("read CA key: no PEM block")
			}
			key, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("read CA key: %w", err)
			}
			return &bankCA{cert: cert, certPEM: certPEM, key: key, rand: rnd, now: now}, nil
		}
		if errC != nil && !errors.Is(errC, os.ErrNotExist) {
			return nil, fmt.Errorf("read CA: %w", errC)
		}
	}
	key, err := rsa.GenerateKey(rnd, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	serial, err := randSerial(rnd)
	if err != nil {
		return nil, err
	}
	t := now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		// Spaces on purpose: the keyId's CA part shows whether a client encodes the DN as the
		// profile wants (%20 for BG, raw for SpareBank 1).
		Subject:               pkix.Name{Country: []string{caCountry(prof)}, Organization: []string{"payterm Sandbox Trust"}, CommonName: "payterm Sandbox QTSP CA"},
		NotBefore:             t.Add(-time.Hour),
		NotAfter:              t.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rnd, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create CA cert: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse CA cert: %w", err)
	}
	ca := &bankCA{cert: cert, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key: key, rand: rnd, now: now}
	if dir != "" {
		if err := writeFileAtomic(filepath.Join(dir, caKeyFile), pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})); err != nil {
			return nil, err
		}
		if err := writeFileAtomic(filepath.Join(dir, caCertFile), ca.certPEM); err != nil {
			return nil, err
		}
	}
	return ca, nil
}

func parseCertPEM(b []byte) (*x509.Certificate, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM CERTIFICATE block")
	}
	return x509.ParseCertificate(blk.Bytes)
}

func randSerial(rnd io.Reader) (*big.Int, error) {
	buf := make([]byte, 16)
	if _, err := io.ReadFull(rnd, buf); err != nil {
		return nil, fmt.Errorf("certificate serial: %w", err)
	}
	buf[0] &= 0x7f
	n := new(big.Int).SetBytes(buf)
	return n.Add(n, big.NewInt(1)), nil
}

func (ca *bankCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// issuerDN is the CA's DN as RFC 2253 prints it from the certificate's own RDN order
// (most specific first: CN=…,O=…,C=…), which is what keyId's CA part names.
func issuerDN(c *x509.Certificate) string {
	var rdn pkix.RDNSequence
	if _, err := asn1.Unmarshal(c.RawIssuer, &rdn); err != nil {
		return c.Issuer.String()
	}
	return rdn.String()
}

// serialHex is the serial in hex without leading zeros (lowercase).
func serialHex(c *x509.Certificate) string { return c.SerialNumber.Text(16) }

// loadOrCreateServerCert is the bank's TLS certificate for the loopback names, kept in dir.
func (ca *bankCA) loadOrCreateServerCert(dir string) (tls.Certificate, error) {
	return servercert.LoadOrIssue(dir, servercert.CA{Cert: ca.cert, Key: ca.key, Rand: ca.rand, Now: ca.now,
		Subject: pkix.Name{Organization: []string{"payterm Sandbox Trust"}, CommonName: "localhost"}})
}

// certKind is what a TPP certificate is for.
type certKind string

const (
	kindQWAC   certKind = "qwac"   // transport: clientAuth, presented in mTLS
	kindQSealC certKind = "qsealc" // signing: nonRepudiation, sent in TPP-Signature-Certificate
)

// issue signs a QWAC-like or QSealC-like certificate for a TPP. The subject carries the TPP's
// name and organizationIdentifier "PSDXX-PAYTERM-<tpp id>".
func (ca *bankCA) issue(kind certKind, tppID, name string, pub *rsa.PublicKey) (*x509.Certificate, []byte, error) {
	if pub.N.BitLen() < 2048 || pub.N.BitLen() > 4096 {
		return nil, nil, fmt.Errorf("the %s key is %d bits; 2048–4096 are accepted", kind, pub.N.BitLen())
	}
	serial, err := randSerial(ca.rand)
	if err != nil {
		return nil, nil, err
	}
	t := ca.now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{Country: []string{"XX"}, Organization: []string{name}, CommonName: name,
			ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidOrganizationIdentifier, Value: orgID(tppID)}}},
		NotBefore: t.Add(-time.Hour),
		NotAfter:  t.AddDate(2, 0, 0),
	}
	if kind == kindQWAC {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
	}
	der, err := x509.CreateCertificate(ca.rand, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		return nil, nil, fmt.Errorf("create %s: %w", kind, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

func orgID(tppID string) string { return "PSDXX-PAYTERM-" + tppID }

// certOrgID reads organizationIdentifier from a certificate's subject.
func certOrgID(c *x509.Certificate) string {
	for _, n := range c.Subject.Names {
		if n.Type.Equal(oidOrganizationIdentifier) {
			if s, ok := n.Value.(string); ok {
				return s
			}
		}
	}
	return ""
}

// tppIDFromCert maps a certificate's organizationIdentifier back to a TPP id.
func tppIDFromCert(c *x509.Certificate) string {
	id, ok := strings.CutPrefix(certOrgID(c), "PSDXX-PAYTERM-")
	if !ok {
		return ""
	}
	return id
}

func mkdirPrivate(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create xs2a sandbox data dir: %w", err)
	}
	return nil
}

// writeFileAtomic writes data with mode 0600 so a crash leaves the old or the new content.
func writeFileAtomic(path string, data []byte) error { return atomicfile.Write(path, data) }
