// Package servercert keeps an embedded bank's TLS server certificate for the loopback names
// (127.0.0.1, ::1, localhost) in its data dir, issued by the bank's own CA. An RSA key
// generation at every start was most of an embedded bank's start, so a kept certificate is
// reused while it stays usable. Bank side only: the client never imports it.
package servercert

import (
	"crypto"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/payterm/payterm/internal/atomicfile"
)

// The kept files in a bank's data dir (the key 0600, as every file atomicfile writes).
const (
	CertFile = "server-cert.pem"
	KeyFile  = "server-key.pem"
)

// renewAhead: a kept certificate that expires within this is replaced at start.
const renewAhead = 30 * 24 * time.Hour

// CA is the bank's certificate authority and what its server certificate says.
type CA struct {
	Cert    *x509.Certificate
	Key     crypto.Signer
	Rand    io.Reader
	Now     func() time.Time
	Subject pkix.Name // the server certificate's subject (its CommonName is "localhost")
}

// LoadOrIssue reuses the certificate kept in dir while this CA signed it for the loopback
// names, its key matches and it stays valid for 30 more days; otherwise (none, unreadable,
// expiring, another CA's) it issues one and keeps it. With dir "" nothing is kept.
func LoadOrIssue(dir string, ca CA) (tls.Certificate, error) {
	if dir != "" {
		certPEM, errC := os.ReadFile(filepath.Join(dir, CertFile))
		keyPEM, errK := os.ReadFile(filepath.Join(dir, KeyFile))
		switch {
		case errC == nil && errK == nil:
			if c, ok := usable(ca, certPEM, keyPEM); ok {
				return c, nil
			}
		case errC != nil && !errors.Is(errC, os.ErrNotExist):
			return tls.Certificate{}, fmt.Errorf("read the server certificate: %w", errC)
		case errK != nil && !errors.Is(errK, os.ErrNotExist):
			return tls.Certificate{}, fmt.Errorf("read the server key: %w", errK)
		}
	}
	c, err := Issue(ca)
	if err != nil || dir == "" {
		return c, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("marshal the server key: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, KeyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return tls.Certificate{}, err
	}
	if err := atomicfile.Write(filepath.Join(dir, CertFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]})); err != nil {
		return tls.Certificate{}, err
	}
	return c, nil
}

// usable accepts a kept certificate and its key (PKCS#8, or the PKCS#1 that older versions
// kept) as LoadOrIssue says.
func usable(ca CA, certPEM, keyPEM []byte) (tls.Certificate, bool) {
	cb, _ := pem.Decode(certPEM)
	if cb == nil || cb.Type != "CERTIFICATE" {
		return tls.Certificate{}, false
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return tls.Certificate{}, false
	}
	key, ok := parseRSAKey(keyPEM)
	if !ok || !key.PublicKey.Equal(cert.PublicKey) {
		return tls.Certificate{}, false
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	now := ca.Now()
	_, err = cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "localhost", CurrentTime: now.Add(renewAhead),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	if err != nil || now.Before(cert.NotBefore) || len(cert.IPAddresses) != 2 {
		return tls.Certificate{}, false
	}
	return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}, true
}

func parseRSAKey(keyPEM []byte) (*rsa.PrivateKey, bool) {
	blk, _ := pem.Decode(keyPEM)
	if blk == nil {
		return nil, false
	}
	switch blk.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		rk, ok := k.(*rsa.PrivateKey)
		return rk, err == nil && ok
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
		return k, err == nil
	}
	return nil, false
}

// Issue makes a new RSA-2048 key and a one-year server certificate for 127.0.0.1, ::1 and
// localhost, signed by ca.
func Issue(ca CA) (tls.Certificate, error) {
	key, err := rsa.GenerateKey(ca.Rand, 2048)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate the server key: %w", err)
	}
	sb := make([]byte, 16)
	if _, err := io.ReadFull(ca.Rand, sb); err != nil {
		return tls.Certificate{}, fmt.Errorf("certificate serial: %w", err)
	}
	sb[0] &= 0x7f
	t := ca.Now()
	tmpl := &x509.Certificate{
		SerialNumber: new(big.Int).Add(new(big.Int).SetBytes(sb), big.NewInt(1)), // positive, never 0
		Subject:      ca.Subject,
		NotBefore:    t.Add(-time.Hour),
		NotAfter:     t.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
	}
	der, err := x509.CreateCertificate(ca.Rand, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("create the server certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}
