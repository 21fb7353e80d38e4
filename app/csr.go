package app

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"github.com/payterm/payterm/internal/safetext"
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

// CSRs are the two certificate requests of one bank, PEM-encoded, and where each key is.
type CSRs struct {
	Transport, Signing       []byte
	TransportKey, SigningKey string // "the key with label … in the PKCS#11 token …"
}

// WriteTo writes both requests, transport first, each after a "#" line naming it (PEM
// readers skip such lines).
func (c CSRs) WriteTo(bankID string, out io.Writer) error {
	_, err := fmt.Fprintf(out, "# transport certificate request for bank %s (%s)\n%s# signing certificate request for bank %s (%s)\n%s",
		bankID, c.TransportKey, c.Transport, bankID, c.SigningKey, c.Signing)
	return err
}

// TokenCSR is `payterm csr`: it logs in to the [pkcs11] token, finds the bank's transport and
// signing keys there or generates them (RSA 2048, non-extractable), and makes a PKCS#10
// request for each (SHA-256, signed inside the token). The Trust Framework turns them into the
// certificates a remote bank needs; nothing secret leaves the token.
func TokenCSR(ctx context.Context, cfg config.Config, opts Options, bankID string, subj CSRSubject) (out CSRs, err error) {
	if err := cfg.Validate(); err != nil {
		return CSRs{}, fmt.Errorf("config: %w", err)
	}
	if !cfg.PKCS11.Enabled() {
		return CSRs{}, ErrCSRNeedsToken
	}
	var bank config.Bank
	found := false
	for _, b := range cfg.AllBanks() {
		if b.ID == bankID {
			bank, found = b, true
		}
	}
	if !found {
		return CSRs{}, fmt.Errorf("no bank with id %q in the config", safetext.Short(bankID, 40))
	}
	if subj.CommonName == "" {
		subj.CommonName = bank.ClientID
	}
	if subj.CommonName == "" {
		return CSRs{}, errors.New("the request's CN is the bank's client_id: set client_id in the bank's section or give --cn")
	}
	if subj.Country == "" {
		subj.Country = "AE"
	}
	if err := ctx.Err(); err != nil {
		return CSRs{}, err
	}
	tok, err := openToken(cfg.PKCS11, opts.TokenPIN)
	if err != nil {
		return CSRs{}, err
	}
	defer func() { err = errors.Join(err, tok.Close()) }()
	keys, err := tokenKeysFor(tok, cfg.PKCS11, bank)
	if err != nil {
		return CSRs{}, err
	}
	sig, tlsKey, err := keys.forNew()
	if err != nil {
		return CSRs{}, err
	}
	name := pkix.Name{Country: []string{subj.Country}, CommonName: subj.CommonName}
	if subj.Org != "" {
		name.Organization = []string{subj.Org}
	}
	if subj.OrgID != "" {
		name.OrganizationalUnit = []string{subj.OrgID}
	}
	req := func(use string, key crypto.Signer) ([]byte, error) {
		der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: name, SignatureAlgorithm: x509.SHA256WithRSA}, key)
		if err != nil {
			return nil, fmt.Errorf("create the %s certificate request in the token: %w", use, err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), nil
	}
	out = CSRs{TransportKey: keys.describe("transport"), SigningKey: keys.describe("signing")}
	if out.Transport, err = req("transport", tlsKey); err != nil {
		return CSRs{}, err
	}
	if out.Signing, err = req("signing", sig); err != nil {
		return CSRs{}, err
	}
	return out, nil
}
