package lfi

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// fapiCipherSuites are the TLS 1.2 suites FAPI 2.0 (BCP 195) allows. TLS 1.3 suites are all
// acceptable and not configurable in Go.
var fapiCipherSuites = []uint16{
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
}

// TLSConfig returns the FAPI client TLS settings presenting cert. roots nil means the
// system roots.
func TLSConfig(cert tls.Certificate, roots *x509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		CipherSuites: fapiCipherSuites,
		Certificates: []tls.Certificate{cert},
		RootCAs:      roots,
	}
}

// NewMTLSClientFromFiles builds the mTLS client from the transport certificate chain and
// private key PEM files.
func NewMTLSClientFromFiles(certFile, keyFile string, roots *x509.CertPool) (*http.Client, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("read transport certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("read transport key: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("load transport key pair: %w", err)
	}
	if err := checkTransportKey(cert.Leaf.PublicKey); err != nil {
		return nil, err
	}
	return newHTTPClient(cert, roots), nil
}

// NewMTLSClient builds the mTLS client from a PEM certificate chain (leaf first) and any
// crypto.Signer holding the matching private key (an HSM-backed signer works).
func NewMTLSClient(certChainPEM []byte, key crypto.Signer, roots *x509.CertPool) (*http.Client, error) {
	if key == nil {
		return nil, errors.New("mTLS client: nil key")
	}
	var cert tls.Certificate
	rest := certChainPEM
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type == "CERTIFICATE" {
			cert.Certificate = append(cert.Certificate, blk.Bytes)
		}
	}
	if len(cert.Certificate) == 0 {
		return nil, errors.New("mTLS client: no CERTIFICATE block in the transport certificate PEM")
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("mTLS client: parse transport certificate: %w", err)
	}
	if err := checkTransportKey(leaf.PublicKey); err != nil {
		return nil, err
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(leaf.PublicKey) {
		return nil, errors.New("mTLS client: private key does not match the transport certificate")
	}
	cert.PrivateKey = key
	cert.Leaf = leaf
	return newHTTPClient(cert, roots), nil
}

func checkTransportKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return fmt.Errorf("transport key is RSA %d bits, at least %d required", k.N.BitLen(), minRSABits)
		}
	case *ecdsa.PublicKey:
		if k.Curve.Params().BitSize < 256 {
			return fmt.Errorf("transport key is EC %d bits, at least 256 required", k.Curve.Params().BitSize)
		}
	default:
		return fmt.Errorf("transport key type %T not supported (RSA or ECDSA)", pub)
	}
	return nil
}

// newHTTPClient keeps connections alive and reuses them: each new mTLS handshake costs an
// RSA signature with the transport key.
func newHTTPClient(cert tls.Certificate, roots *x509.CertPool) *http.Client {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       TLSConfig(cert, roots),
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   60 * time.Second,
		// A bank API never redirects a TPP; following one could carry the bearer token away.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
