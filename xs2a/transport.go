package xs2a

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
	"time"
)

// NewMTLSClient builds the mTLS client from the QWAC chain (PEM, leaf first) and any
// crypto.Signer holding its private key (an HSM-backed signer works). TLS 1.2 at least;
// redirects are never followed (a bank API does not redirect a TPP, and following one could
// carry the bearer token away). roots nil means the system roots.
func NewMTLSClient(certChainPEM []byte, key crypto.Signer, roots *x509.CertPool) (*http.Client, error) {
	if key == nil {
		return nil, errors.New("mTLS client: nil key")
	}
	var cert tls.Certificate
	for rest := certChainPEM; ; {
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
		return nil, errors.New("mTLS client: no CERTIFICATE block in the QWAC PEM")
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("mTLS client: parse the QWAC: %w", err)
	}
	switch k := leaf.PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("mTLS client: QWAC key is RSA %d bits, at least 2048 required", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
		if k.Curve.Params().BitSize < 256 {
			return nil, fmt.Errorf("mTLS client: QWAC key is EC %d bits, at least 256 required", k.Curve.Params().BitSize)
		}
	default:
		return nil, fmt.Errorf("mTLS client: QWAC key type %T not supported (RSA or ECDSA)", leaf.PublicKey)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(leaf.PublicKey) {
		return nil, errors.New("mTLS client: the private key does not match the QWAC")
	}
	cert.PrivateKey = key
	cert.Leaf = leaf
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, RootCAs: roots},
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}
