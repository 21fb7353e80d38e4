package app

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/internal/iban"
	opprov "github.com/payterm/payterm/provider/op"
	opbank "github.com/payterm/payterm/sandbox/op"
)

// An OP bank ([[banks]] provider = "op") is, today, the embedded strict OP bank (sandbox/op)
// reached through provider/op. As at OP, the API is mTLS on its own listener (a certificate made
// for this run, trusted by the wallet alone) and the authorize page is a browser address on
// another (plain http on 127.0.0.1, so no browser warning). The wallet is the bank's registered
// client: its client_id, secret and API key are kept in <bank dir>/op-app/app.json and its
// signing key (RS256) beside it (0600); its mTLS certificate is made anew each run and
// registered with the bank. Like a Berlin Group bank it has no consent to set up: the wallet
// pays from a link to the configured account, and the payer approves each payment on OP's
// page, then pastes the address OP sends the browser to.

// opConn is an OP bank's side of a bankConn.
type opConn struct {
	bank       *opbank.Bank
	api, pages *http.Server
	prov       *opprov.Bank
	// hc is the client's mTLS HTTP client (the kill tests wrap its transport).
	hc *http.Client
}

const (
	opBankDir   = "op-bank"
	opAppDir    = "op-app"
	opAppRecord = "app.json"
	opAppKey    = "signing-key.pem"
)

// opApp is the client's registration at the embedded bank (this machine's own credentials,
// not a real OP secret; kept 0600 all the same).
type opApp struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	APIKey       string `json:"api_key"`
}

func (a *App) openOP(bc *bankConn) error {
	b := bc.cfg
	if b.Mode != config.ModeSandbox {
		return errors.New("an OP bank can only be the embedded bank today")
	}
	adir := filepath.Join(bc.dir, opAppDir)
	key, err := a.bgKey(filepath.Join(adir, opAppKey)) // RSA 2048, made on first use, 0600
	if err != nil {
		return err
	}
	app, err := opAppRecordFor(filepath.Join(adir, opAppRecord))
	if err != nil {
		return err
	}
	clientCert, err := opCert("payterm-tpp", false)
	if err != nil {
		return err
	}
	serverCert, err := opCert("op-sandbox", true)
	if err != nil {
		return err
	}
	kid := "payterm-" + app.ClientID
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"}}})
	if err != nil {
		return err
	}
	apiLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("embedded OP bank: %w", err)
	}
	pagesLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		apiLn.Close()
		return fmt.Errorf("embedded OP bank: %w", err)
	}
	apiURL, pagesURL := "https://"+apiLn.Addr().String(), "http://"+pagesLn.Addr().String()
	own := opOwnAccounts(b)
	bank, err := opbank.New(opbank.Config{PayerAccounts: map[string][]string{opSandboxPayer: own}, DataDir: filepath.Join(bc.dir, opBankDir), ClientID: app.ClientID, ClientSecret: app.ClientSecret,
		APIKey: app.APIKey, ClientJWKS: jwks, ClientCert: clientCert.Leaf, RedirectURIs: []string{b.RedirectURI},
		Issuer: pagesURL, Audience: apiURL, Clock: a.opts.Clock})
	if err != nil {
		apiLn.Close()
		pagesLn.Close()
		return err
	}
	bank.SetURL(apiURL)
	conn := &opConn{bank: bank,
		api:   &http.Server{Handler: bank.Handler(), TLSConfig: opbank.TLSConfig(serverCert), ReadHeaderTimeout: 10 * time.Second},
		pages: &http.Server{Handler: bank.Handler(), ReadHeaderTimeout: 10 * time.Second}}
	go conn.api.ServeTLS(apiLn, "", "")
	go conn.pages.Serve(pagesLn)
	bc.op = conn
	var keys jose.JSONWebKeySet
	if err := json.Unmarshal(bank.JWKS(), &keys); err != nil {
		return err
	}
	roots := x509.NewCertPool()
	roots.AddCert(serverCert.Leaf)
	conn.hc = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		Certificates: []tls.Certificate{clientCert}, RootCAs: roots, MinVersion: tls.VersionTLS12}}}
	prov, err := opprov.New(opprov.Config{HTTP: conn.hc, Name: b.Name, APIBase: apiURL, AuthorizeURL: pagesURL + "/oauth/authorize", ClientID: app.ClientID,
		ClientSecret: app.ClientSecret, APIKey: app.APIKey, Key: key, KeyID: kid, RedirectURI: b.RedirectURI, PaymentKeys: &keys, IDTokenKeys: &keys,
		ClientCert: &clientCert, RootCAs: roots, CustomerIP: b.CustomerIPAddress, UserAgent: "payterm", TryExemption: b.ExemptionOn(), OwnAccounts: own, Clock: a.opts.Clock, Rand: a.opts.Rand,
		Tokens: opTokenKeeper{a: a, name: opTokensName(b.ID)}, Observer: a.trace.opObserver(b.ID)})
	if err != nil {
		return err
	}
	conn.prov = prov
	return nil
}

// opSandboxPayer is who approves on the embedded bank's page (its default user).
const opSandboxPayer = "sandbox-user"

// opOwnAccounts are the payer's own accounts at OP: the link's account and own_accounts (in
// IBAN's electronic form; config has checked each). The client predicts and tries OP's
// own-account exemption from them, and the embedded bank holds them as its payer's.
func opOwnAccounts(b config.Bank) []string {
	var own []string
	for _, a := range append([]string{b.Account}, b.OwnAccounts...) {
		if i, err := iban.Parse(a); err == nil && !slices.Contains(own, string(i)) {
			own = append(own, string(i))
		}
	}
	return own
}

// Close stops both listeners.
func (c *opConn) Close() error {
	if c.hc != nil {
		c.hc.CloseIdleConnections()
	}
	return errors.Join(c.api.Close(), c.pages.Close())
}

// opCert is a self-signed P-256 certificate for this run: the bank's TLS server certificate
// (127.0.0.1) or the wallet's mTLS client certificate.
func opCert(cn string, server bool) (tls.Certificate, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(30 * 24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k, Leaf: leaf}, nil
}

// opAppRecordFor reads the client's registration, making one on first use.
func opAppRecordFor(path string) (opApp, error) {
	var app opApp
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(raw, &app); err != nil || app.ClientID == "" || app.ClientSecret == "" || app.APIKey == "" {
			return opApp{}, fmt.Errorf("%s is damaged: move it away to register the wallet again", opAppRecord)
		}
		return app, nil
	case !errors.Is(err, os.ErrNotExist):
		return opApp{}, err
	}
	buf := make([]byte, 56)
	if _, err := rand.Read(buf); err != nil {
		return opApp{}, err
	}
	app = opApp{ClientID: "payterm-" + hex.EncodeToString(buf[:8]), ClientSecret: hex.EncodeToString(buf[8:32]), APIKey: hex.EncodeToString(buf[32:])}
	if err := writeJSONFile(path, app); err != nil {
		return opApp{}, err
	}
	return app, nil
}
