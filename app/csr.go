package app

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"

	"github.com/payterm/payterm/config"
)

// CSRSubject is what the Trust Framework expects in a TPP certificate request:
// C=AE, O=<legal name>, OU=<Trust Framework organisation id>, CN=<client_id>.
type CSRSubject struct {
	Country, Org, OrgID, CommonName string
}

// ErrCSRNeedsToken: `payterm csr` only makes requests for keys in a token.
var ErrCSRNeedsToken = errors.New("payterm csr makes certificate requests for keys in a PKCS#11 token; configure [pkcs11] first (for PEM key files, use openssl req)")

// TokenCSR is `payterm csr`: it logs in to the [pkcs11] token, finds the bank's transport and
// signing keys there or generates them (RSA 2048, non-extractable), and writes a PKCS#10
// request for each (SHA-256, signed inside the token) to out, transport first. The Trust
// Framework turns them into the certificates a remote bank needs; nothing secret is written.
func TokenCSR(ctx context.Context, cfg config.Config, opts Options, bankID string, subj CSRSubject, out io.Writer) (err error) {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if !cfg.PKCS11.Enabled() {
		return ErrCSRNeedsToken
	}
	var bank config.Bank
	found := false
	for _, b := range cfg.AllBanks() {
		if b.ID == bankID {
			bank, found = b, true
		}
	}
	if !found {
		return fmt.Errorf("no bank with id %q in the config", sanitize(bankID, 40))
	}
	if subj.CommonName == "" {
		subj.CommonName = bank.ClientID
	}
	if subj.CommonName == "" {
		return errors.New("the request's CN is the bank's client_id: set client_id in the bank's section or give --cn")
	}
	if subj.Country == "" {
		subj.Country = "AE"
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tok, err := openToken(cfg.PKCS11, opts.TokenPIN)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, tok.Close()) }()
	keys, err := tokenKeysFor(tok, cfg.PKCS11, bank)
	if err != nil {
		return err
	}
	sig, tlsKey, err := keys.forNew()
	if err != nil {
		return err
	}
	name := pkix.Name{Country: []string{subj.Country}, CommonName: subj.CommonName}
	if subj.Org != "" {
		name.Organization = []string{subj.Org}
	}
	if subj.OrgID != "" {
		name.OrganizationalUnit = []string{subj.OrgID}
	}
	for _, k := range []struct {
		use string
		key any
	}{{"transport", tlsKey}, {"signing", sig}} {
		der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: name, SignatureAlgorithm: x509.SHA256WithRSA}, k.key)
		if err != nil {
			return fmt.Errorf("create the %s certificate request in the token: %w", k.use, err)
		}
		if _, err := fmt.Fprintf(out, "# %s certificate request for bank %s (%s)\n%s", k.use, bank.ID, keys.describe(k.use),
			pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})); err != nil {
			return err
		}
	}
	return nil
}
