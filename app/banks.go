package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/provider/uae"
	"github.com/payterm/payterm/risk"
	"github.com/payterm/payterm/sandbox"
	"github.com/payterm/payterm/wallet"
)

// bankConn is one configured bank ([bank] or a [[banks]] entry): the client that talks to it
// with the TPP identity it knows, and the embedded bank itself when it is a sandbox.
type bankConn struct {
	cfg        config.Bank // ID resolved (config.AllBanks)
	dir        string      // its TPP identity and, for a sandbox, the bank's state
	sandbox    *sandbox.Bank
	id         identity
	client     *lfi.Client
	lfi        *consent.LFIBank
	registered bool // Open registered the TPP at this sandbox (first run or a new redirect URI)
	// redirectTLS serves an https loopback redirect_uri ([bank] redirect_tls_*); nil = none,
	// and such a URI is pasted back.
	redirectTLS *tls.Config
	// bg is set for a Berlin Group bank (berlingroup.go); the UAE fields above are then unset.
	bg *bgConn
	// ft is set for a Fintecture bank (fintecture.go); the UAE fields are then unset.
	ft *ftConn
	// op is set for an OP bank (op.go); the UAE fields are then unset.
	op *opConn
	// hc is the bank client's mTLS HTTP client: Close drops its idle connections before it
	// stops an embedded bank, whose graceful shutdown would otherwise wait on a connection the
	// client dialled but never used.
	hc *http.Client
}

// bankDir keeps the first bank where a one-bank wallet always had it (<data>/sandbox,
// <data>/tpp), so an existing wallet finds its bank and identity; every other bank gets its
// own directory under <data>/banks/<id>.
func bankDir(dataDir string, first bool, id string) string {
	if first {
		return dataDir
	}
	return filepath.Join(dataDir, "banks", id)
}

// openBanks starts or loads every configured bank, in config order. With [pkcs11] it first
// logs in to the token that holds every bank's TPP keys.
func (a *App) openBanks(ctx context.Context) error {
	if a.cfg.PKCS11.Enabled() {
		tok, err := openToken(a.cfg.PKCS11, a.opts.TokenPIN)
		if err != nil {
			return err
		}
		a.token = tok
	}
	for i, b := range a.cfg.AllBanks() {
		bc := &bankConn{cfg: b, dir: bankDir(a.dir, i == 0, b.ID)}
		a.banks = append(a.banks, bc) // appended first, so a failure below still closes its sandbox
		if err := os.MkdirAll(bc.dir, 0o700); err != nil {
			return fmt.Errorf("bank %s: %w", b.ID, err)
		}
		if b.Provider == config.ProviderBerlinGroup {
			if err := a.openBerlinGroup(bc); err != nil {
				return fmt.Errorf("bank %s: %w", b.ID, err)
			}
			continue
		}
		if b.Provider == config.ProviderFintecture {
			if err := a.openFintecture(bc); err != nil {
				return fmt.Errorf("bank %s: %w", b.ID, err)
			}
			continue
		}
		if b.Provider == config.ProviderOP {
			if err := a.openOP(bc); err != nil {
				return fmt.Errorf("bank %s: %w", b.ID, err)
			}
			continue
		}
		if err := a.openBank(ctx, bc); err != nil {
			return fmt.Errorf("bank %s: %w", b.ID, err)
		}
		if err := a.openClient(bc); err != nil {
			return fmt.Errorf("bank %s: %w", b.ID, err)
		}
		if b.RedirectTLSCertFile != "" {
			// Read now, so a bad file stops the start with its name, not the bank step later.
			cert, err := tls.LoadX509KeyPair(b.RedirectTLSCertFile, b.RedirectTLSKeyFile)
			if err != nil {
				return fmt.Errorf("bank %s: redirect_tls_cert_file/redirect_tls_key_file: %w", b.ID, err)
			}
			bc.redirectTLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
		if bc.sandbox != nil {
			if err := recordSandboxAddrs(ctx, bc.dir, bc.sandbox, bc.client); err != nil {
				return fmt.Errorf("bank %s: %w", b.ID, err)
			}
		}
	}
	return nil
}

// openBank starts the embedded sandbox and loads (or registers) the TPP identity, or loads the
// remote bank's Trust Framework files.
func (a *App) openBank(ctx context.Context, bc *bankConn) error {
	b := bc.cfg
	keys, err := a.keysFor(b)
	if err != nil {
		return err
	}
	if b.Mode == config.ModeRemote {
		id, err := remoteIdentity(b, keys)
		if err != nil {
			return fmt.Errorf("bank identity: %w", err)
		}
		bc.id = id
		return nil
	}
	sb, err := startSandbox(bc.dir, a.cfg, b)
	if err != nil {
		return err
	}
	bc.sandbox = sb
	id, fresh, err := sandboxIdentity(ctx, filepath.Join(bc.dir, "tpp"), sandboxRegistrar{sb}, b.RedirectURI, a.opts.Clock, keys)
	if err != nil {
		return err
	}
	bc.id, bc.registered = id, fresh
	return nil
}

// keysFor says where the bank's TPP private keys live: the token, or PEM files.
func (a *App) keysFor(b config.Bank) (tppKeys, error) {
	if a.token == nil {
		return fileKeys{}, nil
	}
	return tokenKeysFor(a.token, a.cfg.PKCS11, b)
}

// sandboxRegistrar adapts the bank to what the identity needs.
type sandboxRegistrar struct{ b *sandbox.Bank }

func (r sandboxRegistrar) RegistrationURL() string { return r.b.RegistrationURL() }
func (r sandboxRegistrar) RootCAs() *x509.CertPool { return r.b.RootCAs() }
func (r sandboxRegistrar) Known(clientID string) bool {
	_, ok := r.b.Client(clientID)
	return ok
}

func (a *App) openClient(bc *bankConn) error {
	var roots *x509.CertPool
	b := bc.cfg
	discovery, issuer, rs := b.DiscoveryURL, b.Issuer, b.ResourceBaseURL
	if sb := bc.sandbox; sb != nil {
		roots, discovery, issuer, rs = sb.RootCAs(), sb.DiscoveryURL(), sb.Issuer(), sb.ResourceBaseURL()
	} else if b.RootCAFile != "" {
		pemBytes, err := os.ReadFile(b.RootCAFile)
		if err != nil {
			return fmt.Errorf("read root_ca_file: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pemBytes) {
			return errors.New("root_ca_file holds no PEM certificate")
		}
	}
	hc, err := lfi.NewMTLSClient(bc.id.TransportCert, bc.id.TransportKey, roots)
	if err != nil {
		return fmt.Errorf("bank transport: %w", err)
	}
	signer, err := lfi.NewSigner(bc.id.SigningKey, bc.id.SigningKID)
	if err != nil {
		return fmt.Errorf("bank signing key: %w", err)
	}
	responseIssuer := b.ResponseIssuer
	if bc.sandbox != nil {
		responseIssuer = "" // the embedded bank signs with its issuer
	}
	c, err := lfi.New(lfi.Config{DiscoveryURL: discovery, Issuer: issuer, ResponseIssuer: responseIssuer, ResourceBaseURL: rs, CoPBaseURL: b.CoPBaseURL, ClientID: bc.id.ClientID,
		Signer: signer, HTTPClient: hc, Clock: a.opts.Clock, Rand: a.opts.Rand, Sleep: a.opts.Sleep, Observer: a.trace.observer(b.ID)})
	if err != nil {
		return fmt.Errorf("bank client: %w", err)
	}
	bc.client, bc.hc = c, hc
	bc.lfi = consent.NewLFIBank(c)
	return nil
}

// walletBanks is what the wallet core calls per bank id: each bank behind its provider, its
// client wrapped so the inspector sees what it seals, with the bank's own customer IP setting.
func (a *App) walletBanks(tokens uae.Tokens, app risk.App) (map[string]provider.Bank, error) {
	banks := map[string]provider.Bank{}
	for _, bc := range a.banks {
		if bc.bg != nil {
			banks[bc.cfg.ID] = bc.bg.prov
			continue
		}
		if bc.ft != nil {
			banks[bc.cfg.ID] = bc.ft.prov
			continue
		}
		if bc.op != nil {
			banks[bc.cfg.ID] = opBank{Bank: bc.op.prov, back: a.opTokensBack} // optokens.go
			continue
		}
		b, err := uae.New(uae.Config{Name: bc.cfg.Name, Client: sealingBank{Client: bc.client, log: a.sealed}, Tokens: tokens,
			Device: a.device, App: app, CustomerIP: bc.cfg.CustomerIPAddress, UserAgent: userAgent(app), Clock: a.opts.Clock})
		if err != nil {
			return nil, fmt.Errorf("bank %s: %w", bc.cfg.ID, err)
		}
		banks[bc.cfg.ID] = b
	}
	return banks, nil
}

// refreshByBank is each bank's refresh grant, by bank id.
func (a *App) refreshByBank() map[string]consent.RefreshFunc {
	refresh := map[string]consent.RefreshFunc{}
	for _, bc := range a.banks {
		if bc.lfi != nil {
			refresh[bc.cfg.ID] = bc.lfi.Refresh
		}
	}
	return refresh
}

// bankByID returns the configured bank with that id.
func (a *App) bankByID(id string) (*bankConn, bool) {
	for _, bc := range a.banks {
		if bc.cfg.ID == id {
			return bc, true
		}
	}
	return nil, false
}

// bankName is what the user sees for a bank id; a bank that left the config shows its id.
func (a *App) bankName(id string) string {
	if bc, ok := a.bankByID(id); ok {
		return bc.cfg.Name
	}
	return id + " (not configured)"
}

// onlySandboxes reports whether every configured bank is an embedded sandbox: only then does
// the inspector show personal data, since none of it is real.
func (a *App) onlySandboxes() bool {
	for _, bc := range a.banks {
		if bc.sandbox == nil && bc.bg == nil && bc.ft == nil && bc.op == nil {
			return false
		}
	}
	return true
}

// sandboxes lists the embedded banks.
func (a *App) sandboxes() []*sandbox.Bank {
	var out []*sandbox.Bank
	for _, bc := range a.banks {
		if bc.sandbox != nil {
			out = append(out, bc.sandbox)
		}
	}
	return out
}

// adoptLegacyBankNames moves consents a one-bank payterm recorded under [bank]'s name (before
// banks had ids) to [bank]'s id, so they keep paying. A name that is also some bank's id is
// left alone: those consents are that bank's.
func adoptLegacyBankNames(ctx context.Context, l *wallet.Ledger, banks []config.Bank) error {
	first := banks[0]
	for _, b := range banks {
		if b.ID == first.Name {
			return nil
		}
	}
	if _, err := l.RenameBank(ctx, first.Name, first.ID); err != nil {
		return fmt.Errorf("adopt consents recorded under the bank's name: %w", err)
	}
	return nil
}
