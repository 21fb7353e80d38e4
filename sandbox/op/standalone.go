package op

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/payterm/payterm/sandbox/op/ojws"
)

// StandaloneOptions runs a bank for a client configured by hand (or a demo).
type StandaloneOptions struct {
	// DataDir is required: the bank's state and key, and the registered client (client.json
	// with its signing key, mTLS certificate and key, and the bank's TLS certificate to trust).
	DataDir string
	// RedirectURIs to register (default https://127.0.0.1:8443/op/back).
	RedirectURIs []string
	// APIAddr (mTLS API and token endpoint) and PagesAddr (the authorize page, plain http).
	APIAddr, PagesAddr string
	// PayerAccounts are the IBANs each payer holds at the bank (Config.PayerAccounts;
	// PayerAccountsOf reads them from the command line); nil: none, so the payer-account rule
	// is not checked and no transfer is own-account.
	PayerAccounts map[string][]string
	Out           io.Writer
	OnStart       func(b *Bank, apiURL, pagesURL string)
}

// Client is the registered client as client.json stores it. Its secrets are the sandbox's own,
// for a client on this machine; they guard nothing of value.
type Client struct {
	ClientID       string `json:"client_id"`
	ClientSecret   string `json:"client_secret"`
	APIKey         string `json:"api_key"`
	KID            string `json:"kid"`
	SigningKeyFile string `json:"signing_key_file"` // ES256, PKCS#8
	CertFile       string `json:"mtls_cert_file"`
	CertKeyFile    string `json:"mtls_key_file"`
	ServerCertFile string `json:"bank_tls_cert_file"` // trust this for the API
}

func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode)
}

func readECKey(path string) (*ecdsa.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(raw)
	if blk == nil {
		return nil, fmt.Errorf("%s holds no PEM block", filepath.Base(path))
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	ek, ok := k.(*ecdsa.PrivateKey)
	if err != nil || !ok {
		return nil, fmt.Errorf("%s is not a PKCS#8 EC key", filepath.Base(path))
	}
	return ek, nil
}

// selfSignedFiles makes a P-256 certificate for a year, written as cert and key PEM files.
func selfSignedFiles(certPath, keyPath, cn string, server bool) (tls.Certificate, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(365 * 24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
		tmpl.DNSNames = []string{"localhost"}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return tls.Certificate{}, err
	}
	kd, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := writePEM(certPath, "CERTIFICATE", der, 0o644); err != nil {
		return tls.Certificate{}, err
	}
	if err := writePEM(keyPath, "PRIVATE KEY", kd, 0o600); err != nil {
		return tls.Certificate{}, err
	}
	return tls.LoadX509KeyPair(certPath, keyPath)
}

// LoadOrCreateClient reads <dir>/client.json and its files, creating all of them on the first
// run: the client's ES256 signing key, its mTLS certificate and the bank's TLS certificate.
func LoadOrCreateClient(dir string) (Client, *ecdsa.PrivateKey, tls.Certificate, tls.Certificate, error) {
	var c Client
	fail := func(err error) (Client, *ecdsa.PrivateKey, tls.Certificate, tls.Certificate, error) {
		return Client{}, nil, tls.Certificate{}, tls.Certificate{}, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fail(err)
	}
	path := filepath.Join(dir, "client.json")
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(raw, &c); err != nil || c.ClientID == "" {
			return fail(errors.New("client.json is corrupt (move it away to start afresh)"))
		}
		k, err := readECKey(c.SigningKeyFile)
		if err != nil {
			return fail(err)
		}
		cc, err := tls.LoadX509KeyPair(c.CertFile, c.CertKeyFile)
		if err != nil {
			return fail(err)
		}
		sc, err := tls.LoadX509KeyPair(c.ServerCertFile, filepath.Join(dir, "bank-tls-key.pem"))
		if err != nil {
			return fail(err)
		}
		return c, k, cc, sc, nil
	case !errors.Is(err, os.ErrNotExist):
		return fail(err)
	}
	buf := make([]byte, 56)
	if _, err := io.ReadFull(rand.Reader, buf); err != nil {
		return fail(err)
	}
	c = Client{ClientID: hex.EncodeToString(buf[:10]), ClientSecret: hex.EncodeToString(buf[10:34]), APIKey: hex.EncodeToString(buf[34:]),
		KID: "tpp-" + hex.EncodeToString(buf[:4]), SigningKeyFile: filepath.Join(dir, "client-signing-key.pem"),
		CertFile: filepath.Join(dir, "client-mtls-cert.pem"), CertKeyFile: filepath.Join(dir, "client-mtls-key.pem"),
		ServerCertFile: filepath.Join(dir, "bank-tls-cert.pem")}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fail(err)
	}
	kd, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return fail(err)
	}
	if err := writePEM(c.SigningKeyFile, "PRIVATE KEY", kd, 0o600); err != nil {
		return fail(err)
	}
	cc, err := selfSignedFiles(c.CertFile, c.CertKeyFile, "op-sandbox-tpp", false)
	if err != nil {
		return fail(err)
	}
	sc, err := selfSignedFiles(c.ServerCertFile, filepath.Join(dir, "bank-tls-key.pem"), "op-sandbox", true)
	if err != nil {
		return fail(err)
	}
	out, _ := json.MarshalIndent(c, "", "  ")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		return fail(err)
	}
	return c, k, cc, sc, nil
}

// RunStandalone runs the bank until ctx ends and prints where everything is.
func RunStandalone(ctx context.Context, opts StandaloneOptions) error {
	if opts.DataDir == "" {
		return errors.New("op bank: standalone mode needs a data dir")
	}
	c, key, cc, sc, err := LoadOrCreateClient(opts.DataDir)
	if err != nil {
		return fmt.Errorf("op bank: client: %w", err)
	}
	if len(opts.RedirectURIs) == 0 {
		opts.RedirectURIs = []string{"https://127.0.0.1:8443/op/back"}
	}
	out := opts.Out
	if out == nil {
		out = os.Stdout
	}
	for _, a := range []*string{&opts.APIAddr, &opts.PagesAddr} {
		if *a == "" {
			*a = "127.0.0.1:0"
		}
	}
	apiLn, err := net.Listen("tcp", opts.APIAddr)
	if err != nil {
		return fmt.Errorf("op bank: listen: %w", err)
	}
	pagesLn, err := net.Listen("tcp", opts.PagesAddr)
	if err != nil {
		apiLn.Close()
		return fmt.Errorf("op bank: listen: %w", err)
	}
	apiURL, pagesURL := "https://"+apiLn.Addr().String(), "http://"+pagesLn.Addr().String()
	signer := &ojws.Signer{Key: key, KID: c.KID}
	errLog := log.New(out, "op bank: ", log.LstdFlags)
	b, err := New(Config{DataDir: filepath.Join(opts.DataDir, "bank"), ClientID: c.ClientID, ClientSecret: c.ClientSecret, APIKey: c.APIKey,
		ClientJWKS: signer.JWKS(), ClientCert: cc.Leaf, RedirectURIs: opts.RedirectURIs, Issuer: pagesURL, Audience: apiURL, ErrorLog: errLog,
		PayerAccounts: opts.PayerAccounts})
	if err != nil {
		apiLn.Close()
		pagesLn.Close()
		return err
	}
	b.SetURL(apiURL)
	api := &http.Server{Handler: b.Handler(), TLSConfig: TLSConfig(sc), ReadHeaderTimeout: 10 * time.Second, ErrorLog: errLog}
	pages := &http.Server{Handler: b.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: errLog}
	go api.ServeTLS(apiLn, "", "")
	go pages.Serve(pagesLn)
	defer api.Close()
	defer pages.Close()
	fmt.Fprintf(out, "payterm OP sandbox bank is running (PSD2 PIS v1, strict rules)\n"+
		"  API and token (mTLS): %s  (payments under /payments-psd2/v1, token /oauth/token)\n"+
		"  authorize page:       %s/oauth/authorize\n"+
		"  bank JWKS:            %s/oauth/jwks\n"+
		"  client:               %s (client_id, secret, API key, signing key, mTLS certificate, bank TLS certificate)\n"+
		"  registered redirects: %v\n",
		apiURL, pagesURL, pagesURL, filepath.Join(opts.DataDir, "client.json"), opts.RedirectURIs)
	fmt.Fprintf(out, "  payer accounts:       %s\n", payerAccountsLine(opts.PayerAccounts))
	if opts.OnStart != nil {
		opts.OnStart(b, apiURL, pagesURL)
	}
	<-ctx.Done()
	return nil
}
