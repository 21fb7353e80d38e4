package app

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/internal/iban"
	"github.com/payterm/payterm/keystore"
	xs2aprov "github.com/payterm/payterm/provider/xs2a"
	xs2abank "github.com/payterm/payterm/sandbox/xs2a"
	"github.com/payterm/payterm/wallet"
	"github.com/payterm/payterm/xs2a"
)

// A Berlin Group bank ([[banks]] provider = "berlin-group") is, today, the embedded strict
// XS2A bank (sandbox/xs2a) with the configured profile, reached through provider/xs2a. The
// wallet registers its TPP there once (a QWAC and a QSealC issued by the bank's CA for keys
// kept in <bank dir>/xs2a-tpp), and pays from a link to the configured account: Berlin Group
// has no consent to set up for payments, the bank approves each one.

// bgConn is a Berlin Group bank's side of a bankConn.
type bgConn struct {
	bank  *xs2abank.Bank // the embedded bank
	prov  *xs2aprov.Bank // the provider the wallet pays through
	tppID string
	// sessions: the bank wants a PSU session (SpareBank 1), kept in the keystore (sessions.go).
	sessions bool
}

const (
	bgBankDir   = "xs2a-bank"
	bgTPPDir    = "xs2a-tpp"
	bgTPPRecord = "registration.json"
	bgQWACKey   = "qwac-key.pem"
	bgQSealKey  = "qsealc-key.pem"
)

// bgBankCredentials, when set, are the embedded bank's simulated PSU password and TAN for
// embedded SCA (tests type them; otherwise the bank's defaults apply).
var bgBankCredentials [2]string

// bgRecord is <bank dir>/xs2a-tpp/registration.json: the TPP's id at the bank (payments there
// belong to it, so it is kept across starts) and where its keys are. The certificates are
// issued again at every start for the same keys; nothing secret is in the record.
type bgRecord struct {
	TPPID        string    `json:"tpp_id"`
	RegisteredAt time.Time `json:"registered_at"`
	// KeyStore is "pkcs11" when the keys are in the [pkcs11] token, "" for PEM files.
	KeyStore string `json:"key_store,omitempty"`
}

// openBerlinGroup starts the bank's embedded XS2A bank, registers the TPP there (its id kept,
// its certificates issued for the kept keys) and builds the provider.
func (a *App) openBerlinGroup(bc *bankConn) error {
	b := bc.cfg
	if b.Mode != config.ModeSandbox {
		return errors.New("a Berlin Group bank can only be the embedded sandbox today")
	}
	prof, err := xs2abank.ProfileByName(b.Profile)
	if err != nil {
		return err
	}
	cprof, err := xs2a.ProfileByName(b.Profile)
	if err != nil {
		return err
	}
	s := a.cfg.Sandbox
	bank, err := startBGBank(xs2abank.Config{Profile: &prof, DataDir: filepath.Join(bc.dir, bgBankDir), Clock: a.opts.Clock,
		AutoApprove: s.AutoApprove, SettleAfter: s.SettleAfter.Duration, CreditAfter: s.CreditAfter.Duration - s.SettleAfter.Duration,
		EmbeddedPassword: bgBankCredentials[0], EmbeddedTAN: bgBankCredentials[1]})
	if err != nil {
		return fmt.Errorf("embedded Berlin Group bank: %w", err)
	}
	bc.bg = &bgConn{bank: bank}
	tdir := filepath.Join(bc.dir, bgTPPDir)
	var rec bgRecord
	if raw, err := os.ReadFile(filepath.Join(tdir, bgTPPRecord)); err == nil {
		if err := json.Unmarshal(raw, &rec); err != nil {
			return fmt.Errorf("read %s: %w", bgTPPRecord, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	qwacKey, sealKey, keyStore, err := a.bgKeys(b, tdir, rec)
	if err != nil {
		return err
	}
	qwacPub, ok1 := qwacKey.Public().(*rsa.PublicKey)
	sealPub, ok2 := sealKey.Public().(*rsa.PublicKey)
	if !ok1 || !ok2 {
		return errors.New("the TPP's keys for the Berlin Group bank must be RSA keys")
	}
	reg, err := bank.Register(xs2abank.TPPRegistration{ID: rec.TPPID, Name: tppClientName, RedirectURIs: []string{b.RedirectURI},
		TransportKey: qwacPub, SigningKey: sealPub})
	if err != nil {
		return err
	}
	if rec.TPPID != reg.TPPID || rec.KeyStore != keyStore {
		if rec.TPPID != reg.TPPID {
			rec = bgRecord{TPPID: reg.TPPID, RegisteredAt: a.opts.Clock().UTC()}
		}
		rec.KeyStore = keyStore
		if err := writeJSONFile(filepath.Join(tdir, bgTPPRecord), rec); err != nil {
			return err
		}
	}
	if keyStore == keyStorePKCS11 {
		// The bank knows the token's keys now (the certificates of the old ones stopped
		// working): key files from before the token are no longer anyone's, so none stays.
		for _, name := range []string{bgQWACKey, bgQSealKey} {
			if err := os.Remove(filepath.Join(tdir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("remove the TPP key file the token replaced: %w", err)
			}
		}
	}
	bc.bg.tppID = reg.TPPID
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM([]byte(reg.CACertPEM)) {
		return errors.New("the Berlin Group bank's CA certificate is not PEM")
	}
	hc, err := xs2a.NewMTLSClient([]byte(reg.QWACPEM), qwacKey, roots)
	if err != nil {
		return err
	}
	bc.hc = hc
	blk, _ := pem.Decode([]byte(reg.QSealCPEM))
	if blk == nil {
		return errors.New("the Berlin Group bank issued no QSealC")
	}
	seal, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return fmt.Errorf("the Berlin Group bank's QSealC: %w", err)
	}
	var keeper xs2aprov.SessionKeeper
	if cprof.PSUSession {
		keeper, bc.bg.sessions = sessionKeeper{a: a, name: sessionName(b.ID)}, true
	}
	prov, err := xs2aprov.New(xs2aprov.Config{Name: b.Name,
		Client: xs2a.Config{Profile: cprof, BaseURL: bank.BaseURL(), HTTPClient: hc, Certificate: seal, Key: sealKey,
			RedirectURI: b.RedirectURI, AllowEmbedded: true, OAuthClientID: reg.TPPID, Clock: a.opts.Clock, Rand: a.opts.Rand,
			Observer: a.trace.xs2aObserver(b.ID)},
		PSUIPAddress: b.CustomerIPAddress, PSUID: b.PSUID, Approach: approachOf(b.SCAApproach),
		Clock: a.opts.Clock, Sleep: a.opts.Sleep, Rand: a.opts.Rand, Sessions: keeper})
	if err != nil {
		return err
	}
	bc.bg.prov = prov
	return nil
}

// bgAddrs is <bank dir>/xs2a-bank/addresses.json: where the embedded bank listened. A bank's
// hosts do not change, and the wallet follows a payment only through the links the bank gave
// (it never builds a URL), so the bank listens there again after a restart; otherwise every
// payment from before the restart could no longer be followed or cancelled.
type bgAddrs struct {
	API     string `json:"api"`
	Browser string `json:"browser"`
}

const bgAddrsFile = "addresses.json"

// startBGBank starts the embedded Berlin Group bank on the addresses it had, or on fresh ones
// the first time (or when another program took them: the links of earlier payments then no
// longer lead to it, and those payments end when the bank's SCA times out), and records them.
func startBGBank(cfg xs2abank.Config) (*xs2abank.Bank, error) {
	path := filepath.Join(cfg.DataDir, bgAddrsFile)
	var had bgAddrs
	if raw, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(raw, &had); err != nil {
			return nil, fmt.Errorf("%s: %w", bgAddrsFile, err)
		}
	}
	start := func(addrs bgAddrs) (*xs2abank.Bank, error) {
		c := cfg
		c.APIAddr, c.BrowserAddr = addrs.API, addrs.Browser
		bank, err := xs2abank.New(c)
		if err != nil {
			return nil, err
		}
		if err := bank.Start(); err != nil {
			_ = bank.Close()
			return nil, err
		}
		return bank, nil
	}
	bank, err := start(had)
	if err != nil && had != (bgAddrs{}) {
		bank, err = start(bgAddrs{})
	}
	if err != nil {
		return nil, err
	}
	now := bgAddrs{API: hostPort(bank.APIURL()), Browser: hostPort(bank.BrowserURL())}
	if now != had {
		if err := writeJSONFile(path, now); err != nil {
			_ = bank.Close()
			return nil, err
		}
	}
	return bank, nil
}

// hostPort is the host:port of an absolute URL ("" when it has none).
func hostPort(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

// bgKeys returns the TPP's transport (QWAC) and signing (QSealC) keys for the Berlin Group
// bank and where they are: in the [pkcs11] token when there is one (found, or generated there,
// by the bank's pkcs11_*_key_label/_id or the default labels, as for a UAE bank), else PEM files
// in tdir. Keys that were in the token never move back to files: without [pkcs11] such a
// record is refused, as a UAE identity's is.
func (a *App) bgKeys(b config.Bank, tdir string, rec bgRecord) (qwac, seal crypto.Signer, keyStore string, err error) {
	if a.token == nil {
		if rec.KeyStore == keyStorePKCS11 {
			return nil, nil, "", keyStoreMismatch(tdir, keyStorePKCS11)
		}
		q, err := a.bgKey(filepath.Join(tdir, bgQWACKey))
		if err != nil {
			return nil, nil, "", err
		}
		s, err := a.bgKey(filepath.Join(tdir, bgQSealKey))
		if err != nil {
			return nil, nil, "", err
		}
		return q, s, "", nil
	}
	keys, err := tokenKeysFor(a.token, a.cfg.PKCS11, b)
	if err != nil {
		return nil, nil, "", err
	}
	seal, qwac, err = keys.forNew()
	if err != nil {
		return nil, nil, "", err
	}
	return qwac, seal, keyStorePKCS11, nil
}

// bgKey loads one of the TPP's RSA keys for the embedded Berlin Group bank, making it on first
// use (0600, like the UAE sandbox's keys).
func (a *App) bgKey(path string) (*rsa.PrivateKey, error) {
	k, err := readKeyFile(path, true)
	if err == nil {
		return k, nil
	}
	if _, serr := os.Stat(path); !errors.Is(serr, os.ErrNotExist) {
		return nil, err
	}
	k, err = rsa.GenerateKey(a.opts.Rand, 2048)
	if err != nil {
		return nil, fmt.Errorf("make the TPP key %s: %w", filepath.Base(path), err)
	}
	if err := keystore.WriteFileAtomic(path, pemKey(k)); err != nil {
		return nil, err
	}
	return k, nil
}

func approachOf(s string) xs2a.Approach {
	switch s {
	case "redirect":
		return xs2a.Redirect
	case "decoupled":
		return xs2a.Decoupled
	case "embedded":
		return xs2a.Embedded
	}
	return ""
}

// linkBerlinGroup makes sure every Berlin Group and Fintecture bank has one link, to the account in the
// config: a link to another account or currency (the config changed) is ended first, so
// payments never leave from an account the user no longer names.
func (a *App) linkBerlinGroup(ctx context.Context) error {
	cs, err := a.ledger.Consents(ctx)
	if err != nil {
		return err
	}
	for _, bc := range a.banks {
		if bc.bg == nil && bc.ft == nil && bc.op == nil {
			continue
		}
		want, err := linkedAccount(bc.cfg)
		if err != nil {
			return fmt.Errorf("bank %s: account: %w", bc.cfg.ID, err)
		}
		have := false
		for _, c := range cs {
			if c.Bank != bc.cfg.ID || c.Kind != wallet.GrantLink || c.Status != wallet.ConsentAuthorized {
				continue
			}
			if !have && sameAccount(c.DebtorAccount, want) && c.Currency == bc.cfg.Currency &&
				c.DebtorName == strings.TrimSpace(bc.cfg.AccountHolder) {
				have = true
				continue
			}
			if err := a.wallet.RevokeConsent(ctx, c.ID); err != nil {
				return fmt.Errorf("bank %s: end the link to the account the config no longer names: %w", bc.cfg.ID, err)
			}
		}
		if !have {
			if _, err := a.wallet.RecordLink(ctx, bc.cfg.ID, bc.cfg.Account, bc.cfg.AccountHolder, bc.cfg.Currency); err != nil {
				return fmt.Errorf("bank %s: link the account: %w", bc.cfg.ID, err)
			}
		}
	}
	return nil
}

// linkedAccount is the configured account as the link records it: an IBAN, or at SpareBank 1
// also a Norwegian account number (kontonummer), both without spaces.
func linkedAccount(b config.Bank) (string, error) {
	i, err := iban.Parse(b.Account)
	if err == nil {
		return string(i), nil
	}
	if b.Profile == config.ProfileSB1 {
		return iban.ParseNorwegianBBAN(b.Account)
	}
	return "", err
}

// sameAccount compares two IBANs as written (spaces and case aside).
func sameAccount(x, y string) bool {
	norm := func(s string) string { return strings.ToUpper(strings.ReplaceAll(s, " ", "")) }
	return norm(x) == norm(y)
}
