package sandbox

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/payterm/payterm/sandbox/internal/servercert"
)

// sandboxCA is the Trust Framework stand-in's certificate authority. It signs the bank's
// server certificate and every client transport certificate.
type sandboxCA struct {
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

// loadOrCreateCA reads the CA from dir or makes a new one (dir == "": ephemeral).
func loadOrCreateCA(dir string, rand io.Reader, now func() time.Time) (*sandboxCA, error) {
	if dir != "" {
		certPEM, errC := os.ReadFile(filepath.Join(dir, caCertFile))
		keyPEM, errK := os.ReadFile(filepath.Join(dir, caKeyFile))
		if errC == nil && errK == nil {
			blk, _ := pem.Decode(certPEM)
			if blk == nil {
				return nil, errors.New("read CA: ca.pem has no PEM block")
			}
			cert, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("read CA: %w", err)
			}
			key, err := parseRSAKeyPEM(keyPEM)
			if err != nil {
				return nil, fmt.Errorf("read CA key: %w", err)
			}
			return &sandboxCA{cert: cert, certPEM: certPEM, key: key, rand: rand, now: now}, nil
		}
		if !errors.Is(errC, os.ErrNotExist) && errC != nil {
			return nil, fmt.Errorf("read CA: %w", errC)
		}
	}
	key, err := rsa.GenerateKey(rand, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	serial, err := randSerial(rand)
	if err != nil {
		return nil, err
	}
	t := now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Country: []string{"AE"}, Organization: []string{"payterm sandbox"}, CommonName: "payterm sandbox CA"},
		NotBefore:             t.Add(-time.Hour),
		NotAfter:              t.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create CA cert: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse CA cert: %w", err)
	}
	ca := &sandboxCA{cert: cert, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key: key, rand: rand, now: now}
	if dir != "" {
		if err := writeKeyPEM(filepath.Join(dir, caKeyFile), key); err != nil {
			return nil, err
		}
		if err := writeFileAtomic(filepath.Join(dir, caCertFile), ca.certPEM); err != nil {
			return nil, err
		}
	}
	return ca, nil
}

func randSerial(rand io.Reader) (*big.Int, error) {
	n, err := randIntN(rand, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		return nil, fmt.Errorf("certificate serial: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

func randIntN(rand io.Reader, max *big.Int) (*big.Int, error) {
	b := make([]byte, (max.BitLen()+7)/8)
	if _, err := io.ReadFull(rand, b); err != nil {
		return nil, err
	}
	return new(big.Int).Mod(new(big.Int).SetBytes(b), max), nil
}

func (ca *sandboxCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// loadOrCreateServerCert is the bank's TLS certificate for the loopback names, kept in dir.
func (ca *sandboxCA) loadOrCreateServerCert(dir string) (tls.Certificate, error) {
	return servercert.LoadOrIssue(dir, servercert.CA{Cert: ca.cert, Key: ca.key, Rand: ca.rand, Now: ca.now,
		Subject: pkix.Name{Country: []string{"AE"}, Organization: []string{"payterm sandbox"}, CommonName: "localhost"}})
}

// issueClientCert signs a transport certificate for clientID over pub, subject
// C=AE, O=<name>, OU=sandbox, CN=<client_id> as the UAE Trust Framework does, and returns it
// with its x5t#S256.
func (ca *sandboxCA) issueClientCert(clientID, orgName string, pub *rsa.PublicKey) (certPEM []byte, thumbprint string, err error) {
	if pub.N.BitLen() < 2048 {
		return nil, "", fmt.Errorf("transport key is %d bits; at least 2048 required", pub.N.BitLen())
	}
	serial, err := randSerial(ca.rand)
	if err != nil {
		return nil, "", err
	}
	t := ca.now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Country: []string{"AE"}, Organization: []string{orgName}, OrganizationalUnit: []string{"sandbox"}, CommonName: clientID},
		NotBefore:    t.Add(-time.Hour),
		NotAfter:     t.AddDate(1, 1, 0), // 13 months, the UAE rotation period
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(ca.rand, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		return nil, "", fmt.Errorf("create client cert: %w", err)
	}
	sum := sha256.Sum256(der)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// issuedTo parses a client certificate this CA issued to clientID (nil otherwise).
func (ca *sandboxCA) issuedTo(certPEM []byte, clientID string) *x509.Certificate {
	blk, _ := pem.Decode(certPEM)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil || cert.Subject.CommonName != clientID {
		return nil
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: ca.pool(), CurrentTime: cert.NotBefore.Add(time.Minute),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return nil
	}
	return cert
}

// certThumbprint is the RFC 8705 x5t#S256 value a sender-constrained token is bound to.
func certThumbprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
