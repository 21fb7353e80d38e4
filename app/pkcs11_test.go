package app

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/internal/softhsm"
	"github.com/payterm/payterm/sandbox"
	"github.com/payterm/payterm/ui"
)

const tokenLabel = "payterm-journey"

// tokenConfig is testConfig with [pkcs11] on tok, the PIN typed at the prompt.
func tokenConfig(t *testing.T, tok softhsm.Token) config.Config {
	t.Helper()
	cfg := testConfig(t)
	cfg.PKCS11 = config.PKCS11{Module: tok.Module, TokenLabel: tok.Label, PINSource: "prompt"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// typedPIN plays the user at the token PIN prompt and records which token was asked for.
func typedPIN(pin string, asked *[]string) func(string) ([]byte, error) {
	return func(token string) ([]byte, error) {
		*asked = append(*asked, token)
		return []byte(pin), nil
	}
}

// remoteBankForToken starts a separate sandbox standing in for a real LFI and enrols the TPP
// there as a user with [pkcs11] would: `payterm csr` makes both keys in the token and prints
// the requests; the Trust Framework (the sandbox's Register) issues the transport certificate
// from the CSR and records the signing key from the other CSR. Only the certificate is a file.
func remoteBankForToken(t *testing.T, cfg config.Config, pin, id, name string) (*sandbox.Bank, config.Bank) {
	t.Helper()
	bank, err := sandbox.New(sandbox.Config{AutoApprove: true, SettleAfter: 50 * time.Millisecond, CreditAfter: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := bank.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bank.Close() })
	dir := t.TempDir()
	pending := config.Bank{ID: id, Mode: config.ModeRemote, Name: name, DiscoveryURL: bank.DiscoveryURL(), Issuer: bank.Issuer(),
		ResourceBaseURL: bank.ResourceBaseURL(), ClientID: "pending", SigningKID: "pending",
		TransportCertFile: filepath.Join(dir, "tls.crt"), RootCAFile: filepath.Join(dir, "ca.pem"),
		RedirectURI: "http://127.0.0.1:0/callback", CustomerIPAddress: "127.0.0.1", DefaultPurposeCode: "TOF"}
	csrCfg := cfg
	csrCfg.Banks = []config.Bank{pending}
	var out bytes.Buffer
	var asked []string
	csrOut, err := TokenCSR(context.Background(), csrCfg, Options{TokenPIN: typedPIN(pin, &asked)}, id,
		CSRSubject{Org: "payterm test TPP", OrgID: "org-1", CommonName: "payterm-test"})
	if err != nil {
		t.Fatalf("payterm csr: %v", err)
	}
	if err := csrOut.WriteTo(id, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "PRIVATE KEY") {
		t.Fatal("payterm csr printed a private key")
	}
	var csrs []*x509.CertificateRequest
	for rest := out.Bytes(); ; {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		csr, err := x509.ParseCertificateRequest(blk.Bytes)
		if err != nil || csr.CheckSignature() != nil {
			t.Fatalf("csr: %v / %v", err, csr.CheckSignature())
		}
		if csr.Subject.String() != "CN=payterm-test,OU=org-1,O=payterm test TPP,C=AE" || csr.SignatureAlgorithm != x509.SHA256WithRSA {
			t.Fatalf("csr subject %q, algorithm %v", csr.Subject, csr.SignatureAlgorithm)
		}
		csrs = append(csrs, csr)
	}
	if len(csrs) != 2 || csrs[0].PublicKey.(*rsa.PublicKey).Equal(csrs[1].PublicKey) {
		t.Fatalf("want a transport and a signing request for two keys, got %d", len(csrs))
	}
	kid, err := thumbprintKID(csrs[1].PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: csrs[1].PublicKey, KeyID: kid, Use: "sig", Algorithm: "PS256"}}})
	reg, err := bank.Register(sandbox.ClientRegistration{Name: "payterm token test", SigningJWKS: jwks,
		RedirectURIs: []string{"http://127.0.0.1/callback"}, CSRPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrs[0].Raw}))})
	if err != nil {
		t.Fatal(err)
	}
	for p, data := range map[string]string{pending.TransportCertFile: reg.TransportCertPEM, pending.RootCAFile: string(bank.CACertPEM())} {
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pending.ClientID, pending.SigningKID = reg.ClientID, kid
	return bank, pending
}

// TestJourneyKeysInToken: with [pkcs11] on a real SoftHSM2 token, a fresh wallet generates its
// signing and transport keys in the token, registers at the embedded sandbox with a CSR signed
// there, onboards and pays (PS256 and mTLS through the token); a remote bank enrolled with
// `payterm csr` pays too; after a restart (PIN from an environment variable) the same
// identity is used. No private key of the TPP is ever in a file under the data dir, the
// config file's folder or beside the remote bank's certificate.
func TestJourneyKeysInToken(t *testing.T) {
	ctx := context.Background()
	tok := softhsm.Require(t, tokenLabel)
	cfg := tokenConfig(t, tok)
	remote, rb := remoteBankForToken(t, cfg, tok.PIN, "lfi", "Remote Token Bank")
	cfg.Banks = []config.Bank{rb}
	// The settings go through a config file, as a user's would; its folder is scanned below.
	confDir := filepath.Join(t.TempDir(), "config", "payterm")
	if err := os.MkdirAll(confDir, 0o700); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(cfg); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(confDir, "config.toml"), buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(confDir, "config.toml"), true)
	if err != nil {
		t.Fatal(err)
	}

	clock := newSCAClock()
	opts := testOptions(clock)
	var asked []string
	opts.TokenPIN = typedPIN(tok.PIN, &asked)
	a, err := Open(ctx, cfg, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if !a.Registered() || len(asked) != 1 || asked[0] != `the PKCS#11 token "payterm-journey"` {
		t.Fatalf("registered=%v, PIN asked for %q", a.Registered(), asked)
	}
	var tppPubs []crypto.PublicKey
	for _, bc := range a.banks {
		for use, k := range map[string]crypto.Signer{"signing": bc.id.SigningKey, "transport": bc.id.TransportKey} {
			if _, inMemory := k.(*rsa.PrivateKey); inMemory {
				t.Fatalf("bank %s: the %s key is in memory, not in the token", bc.cfg.ID, use)
			}
			tppPubs = append(tppPubs, k.Public())
		}
	}
	sandboxSigning := a.banks[0].id.SigningKey.Public().(*rsa.PublicKey)
	clientID := a.ClientID()

	w := a.UIWallet()
	c, js := onboard(t, w, clock, twoPayees()[:1])
	payees, err := w.Payees(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := finalEvent(t, pay(t, w, c.ID, payees[0].ID, "12.34", clock.nextCode(t, js.totpSecret)))
	if last.State != ui.StepDone || last.Receipt == nil {
		t.Fatalf("payment with token keys: %+v", last)
	}
	if st, err := a.Sandbox().PaymentStatus(last.Receipt.PaymentID); err != nil || !strings.HasPrefix(st, "Accepted") {
		t.Fatalf("the bank's payment status %q, %v", st, err)
	}
	far := newConsentAt(t, w, "lfi")
	if ev := payOpen(t, w, remote, clock, js.totpSecret, far.ID, "2.00"); ev.State != ui.StepDone || ev.Receipt == nil {
		t.Fatalf("remote payment with token keys: %+v", ev)
	} else if st, _ := remote.PaymentStatus(ev.Receipt.PaymentID); !strings.HasPrefix(st, "Accepted") {
		t.Fatalf("remote bank's payment status %q", st)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	// Restart, unattended: the PIN comes from the environment; nothing is asked and the same
	// client with the same token keys pays again. A new redirect URI updates the registration
	// over mTLS with the token's transport key.
	t.Setenv("PAYTERM_TEST_TOKEN_PIN", tok.PIN)
	cfg.PKCS11.PINSource = "env:PAYTERM_TEST_TOKEN_PIN"
	cfg.Bank.RedirectURI = "http://127.0.0.1:0/callback2"
	opts.TokenPIN = func(string) ([]byte, error) {
		t.Error("asked for the PIN with pin_source env")
		return nil, ErrNoTerminal
	}
	a, err = Open(ctx, cfg, opts)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer a.Close()
	if !a.Registered() || a.ClientID() != clientID || !sandboxSigning.Equal(a.banks[0].id.SigningKey.Public()) {
		t.Fatal("the restart did not update the registered identity with its token keys")
	}
	if cl, ok := a.Sandbox().Client(clientID); !ok || !slices.Contains(cl.RedirectURIs, "http://127.0.0.1:0/callback2") {
		t.Fatalf("the bank's client after the update: %+v", cl)
	}
	w = a.UIWallet()
	if ev := finalEvent(t, pay(t, w, c.ID, payees[0].ID, "1.00", clock.nextCode(t, js.totpSecret))); ev.State != ui.StepDone {
		t.Fatalf("payment after restart: %+v", ev)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	// No private key of the TPP anywhere under the data dir (nor beside the remote bank's
	// certificate): the tpp folder holds the record and the certificate only, and every
	// private key found is the embedded bank's own, in its state folder.
	tppFiles, err := os.ReadDir(filepath.Join(cfg.ResolvedDataDir(), "tpp"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range tppFiles {
		names = append(names, f.Name())
	}
	if !slices.Equal(names, []string{identityFile, transportCertFile}) {
		t.Errorf("tpp folder holds %v", names)
	}
	var rec identityRecord
	if raw, err := os.ReadFile(filepath.Join(cfg.ResolvedDataDir(), "tpp", identityFile)); err != nil || json.Unmarshal(raw, &rec) != nil || rec.KeyStore != keyStorePKCS11 {
		t.Errorf("identity.json does not record the token: %+v %v", rec, err)
	}
	found := privateKeysIn(t, cfg.ResolvedDataDir())
	found = append(found, privateKeysIn(t, filepath.Dir(rb.TransportCertFile))...)
	found = append(found, privateKeysIn(t, confDir)...)
	bankKeys := 0
	for _, k := range found {
		for _, p := range tppPubs {
			if p.(*rsa.PublicKey).Equal(k.pub) {
				t.Errorf("%s holds a TPP private key (%s)", k.path, k.how)
			}
		}
		rel, _ := filepath.Rel(cfg.ResolvedDataDir(), k.path)
		if !strings.HasPrefix(rel, "sandbox"+string(filepath.Separator)) {
			t.Errorf("a private key outside the embedded bank's state: %s (%s)", k.path, k.how)
		}
		bankKeys++
	}
	// The embedded bank keeps its CA, signing and encryption keys as PEM files: finding them
	// shows the scan sees private keys when they are there.
	if bankKeys < 3 {
		t.Fatalf("the scan found %d private keys; the embedded bank's own three were missed", bankKeys)
	}
}

// foundKey is a private key found in a file.
type foundKey struct {
	path, how string
	pub       crypto.PublicKey
}

var base64Run = regexp.MustCompile(`[A-Za-z0-9+/_-]{400,}={0,2}`)

// privateKeysIn finds every private key under root in any of the forms a key file can take:
// PEM (any "PRIVATE KEY" block, also encrypted ones, which are reported without a public key),
// DER PKCS#1, PKCS#8 or SEC 1 at any offset of any file (a key inside a database page or a
// binary blob), the same DER base64-encoded inside text (JSON), and a private JWK.
func privateKeysIn(t *testing.T, root string) []foundKey {
	t.Helper()
	var out []foundKey
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out = append(out, keysInBytes(path, raw)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func keysInBytes(path string, raw []byte) []foundKey {
	var out []foundKey
	seen := map[string]bool{}
	add := func(how string, pub crypto.PublicKey) {
		key := how
		if pub != nil {
			if der, err := x509.MarshalPKIXPublicKey(pub); err == nil {
				key = string(der)
			}
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, foundKey{path: path, how: how, pub: pub})
		}
	}
	for rest := raw; ; {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		if strings.Contains(blk.Type, "PRIVATE KEY") {
			pub, _ := derPrivateKey(blk.Bytes)
			add("PEM "+blk.Type, pub)
		}
	}
	for _, k := range derKeysIn(raw) {
		add("DER", k)
	}
	for _, m := range base64Run.FindAll(raw, -1) {
		s := strings.TrimRight(string(m), "=")
		for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
			if dec, err := enc.DecodeString(s); err == nil {
				for _, k := range derKeysIn(dec) {
					add("base64 DER", k)
				}
			}
		}
	}
	var jwk struct {
		D string `json:"d"`
	}
	for _, m := range regexp.MustCompile(`\{[^{}]*"d"\s*:\s*"[^"]+"[^{}]*\}`).FindAll(raw, -1) {
		if json.Unmarshal(m, &jwk) == nil && jwk.D != "" {
			var k jose.JSONWebKey
			if k.UnmarshalJSON(m) == nil && !k.IsPublic() {
				add("JWK", k.Public().Key)
			}
		}
	}
	return out
}

// derKeysIn tries every ASN.1 SEQUENCE in b long enough to be a key (an EC P-256 key in
// SEC 1 is 121 bytes, short-form length) as a private key.
func derKeysIn(b []byte) []crypto.PublicKey {
	var out []crypto.PublicKey
	for i := 0; i+4 < len(b); i++ {
		if b[i] != 0x30 {
			continue
		}
		var n, hdr int
		switch l := b[i+1]; {
		case l >= 0x40 && l < 0x80:
			n, hdr = int(l), 2
		case l == 0x81:
			n, hdr = int(b[i+2]), 3
		case l == 0x82:
			n, hdr = int(b[i+2])<<8|int(b[i+3]), 4
		default:
			continue
		}
		if i+hdr+n > len(b) {
			continue
		}
		if pub, ok := derPrivateKey(b[i : i+hdr+n]); ok {
			out = append(out, pub)
		}
	}
	return out
}

func derPrivateKey(der []byte) (crypto.PublicKey, bool) {
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k.Public(), true
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k.Public(), true
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		switch k := k.(type) {
		case *rsa.PrivateKey:
			return k.Public(), true
		case *ecdsa.PrivateKey:
			return k.Public(), true
		case ed25519.PrivateKey:
			return k.Public(), true
		}
	}
	return nil, false
}

// TestPrivateKeyScan: the scan the journey relies on finds a private key in each form a file
// can hold one, and nothing in public material.
func TestPrivateKeyScan(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := x509.MarshalPKCS1PrivateKey(rk)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(rk)
	sec1, _ := x509.MarshalECPrivateKey(ek)
	jwk, _ := json.Marshal(jose.JSONWebKey{Key: rk, KeyID: "k"})
	pubJWK, _ := json.Marshal(jose.JSONWebKey{Key: rk.Public(), KeyID: "k"})
	spki, _ := x509.MarshalPKIXPublicKey(rk.Public())
	noise := bytes.Repeat([]byte{0x30, 0x82, 0xff}, 50)
	cases := map[string]struct {
		raw  []byte
		want crypto.PublicKey
	}{
		"PEM PKCS#1":         {pemKey(rk), rk.Public()},
		"PEM PKCS#8":         {pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), rk.Public()},
		"PEM encrypted":      {pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte("opaque")}), nil},
		"DER inside a blob":  {slices.Concat(noise, pkcs1, noise), rk.Public()},
		"SEC 1 inside":       {slices.Concat([]byte("page header"), sec1), ek.Public()},
		"base64 PKCS#8 JSON": {[]byte(`{"key":"` + base64.StdEncoding.EncodeToString(pkcs8) + `"}`), rk.Public()},
		"base64url PKCS#1":   {[]byte(`x=` + base64.RawURLEncoding.EncodeToString(pkcs1)), rk.Public()},
		"private JWK":        {[]byte(`{"keys":[` + string(jwk) + `]}`), rk.Public()},
	}
	for name, c := range cases {
		got := keysInBytes(name, c.raw)
		if len(got) == 0 {
			t.Errorf("%s: not found", name)
			continue
		}
		if c.want != nil && !got[0].pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(c.want) {
			t.Errorf("%s: found the wrong key", name)
		}
	}
	public := slices.Concat(pubJWK, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}), spki, noise,
		[]byte(base64.StdEncoding.EncodeToString(spki)))
	if got := keysInBytes("public", public); len(got) != 0 {
		t.Errorf("public material reported as private keys: %+v", got)
	}
}

// TestTokenProblems: each way the token set-up can be wrong stops Open with one sentence that
// names what to check, and never the PIN.
func TestTokenProblems(t *testing.T) {
	tok := softhsm.Require(t, tokenLabel)
	notLib := filepath.Join(t.TempDir(), "libvendor.so")
	if err := os.WriteFile(notLib, []byte("not a shared object"), 0o600); err != nil {
		t.Fatal(err)
	}
	pinFile := filepath.Join(t.TempDir(), "pin")
	if err := os.WriteFile(pinFile, []byte(tok.PIN+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		edit func(*config.Config)
		pin  string // typed at the prompt; "" = no terminal
		what string
		next string
	}{
		{"wrong PIN", nil, "9999-wrong", `The PKCS#11 token "payterm-journey" did not accept the PIN.`, "type the token's user PIN"},
		{"missing token", func(c *config.Config) { c.PKCS11.TokenLabel = "no-such-token" }, tok.PIN,
			`No slot of the PKCS#11 module ` + tok.Module + ` holds the PKCS#11 token "no-such-token".`, "--list-slots"},
		{"module missing", func(c *config.Config) { c.PKCS11.Module = "/nonexistent/libpkcs11.so" }, tok.PIN,
			"The PKCS#11 module /nonexistent/libpkcs11.so does not exist.", "pkcs11.module"},
		{"module not a library", func(c *config.Config) { c.PKCS11.Module = notLib }, tok.PIN,
			"The file " + notLib + " is not a PKCS#11 module payterm can load.", "pkcs11.module"},
		{"no terminal for the prompt", nil, "", `The PIN of the PKCS#11 token "payterm-journey" is asked at start (pkcs11.pin_source = "prompt"), but there is no terminal to ask on.`, "env:VARIABLE"},
		{"PIN file others can read", func(c *config.Config) { c.PKCS11.PINSource = "file:" + pinFile }, "",
			"The token PIN file " + pinFile + " has mode 644; make it readable by you alone (chmod 600).", "pkcs11.pin_source"},
		{"PIN variable unset", func(c *config.Config) { c.PKCS11.PINSource = "env:PAYTERM_TEST_NO_SUCH_PIN" }, "",
			"The token PIN's environment variable PAYTERM_TEST_NO_SUCH_PIN is empty or not set.", "pkcs11.pin_source"},
		{"missing key of a remote bank", func(c *config.Config) {
			c.Bank = config.Bank{ID: "lfi", Mode: config.ModeRemote, Name: "Remote", DiscoveryURL: "https://127.0.0.1:1/d", Issuer: "https://127.0.0.1:1",
				ResourceBaseURL: "https://127.0.0.1:1/rs", ClientID: "c1", SigningKID: "k1", TransportCertFile: notLib,
				PKCS11SigningKeyLabel: "tf-signing", RedirectURI: "http://127.0.0.1:0/callback"}
		}, tok.PIN, `The signing key of bank lfi (label "tf-signing") is not in the PKCS#11 token "payterm-journey".`, "payterm csr --bank lfi"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := tokenConfig(t, tok)
			if c.edit != nil {
				c.edit(&cfg)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			opts := testOptions(newSCAClock())
			opts.TokenPIN = nil
			if c.pin != "" {
				var asked []string
				opts.TokenPIN = typedPIN(c.pin, &asked)
			}
			a, err := Open(context.Background(), cfg, opts)
			if err == nil {
				_ = a.Close()
				t.Fatal("Open succeeded")
			}
			var prob *ui.Problem
			if !errors.As(err, &prob) || prob.What != c.what || !strings.Contains(prob.Next, c.next) {
				t.Fatalf("got %v\nwant What %q and a Next naming %q", err, c.what, c.next)
			}
			if strings.Contains(err.Error(), tok.PIN) || strings.Contains(err.Error(), "9999-wrong") {
				t.Fatalf("the error carries the PIN: %v", err)
			}
			if _, err := os.Stat(filepath.Join(cfg.ResolvedDataDir(), "tpp")); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("a failed start left a TPP identity behind: %v", err)
			}
		})
	}
}

// TestKeyStoreChange: an identity registered with keys in files is not silently replaced when
// [pkcs11] is added (its consents belong to that client), nor the other way round, and a key
// gone from the token is named.
func TestKeyStoreChange(t *testing.T) {
	tok := softhsm.Require(t, tokenLabel)
	fileCfg := testConfig(t)
	a := openApp(t, fileCfg, newSCAClock())
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	tokCfg := fileCfg
	tokCfg.PKCS11 = config.PKCS11{Module: tok.Module, TokenLabel: tok.Label, PINSource: "prompt"}
	var asked []string
	opts := testOptions(newSCAClock())
	opts.TokenPIN = typedPIN(tok.PIN, &asked)
	_, err := Open(context.Background(), tokCfg, opts)
	var prob *ui.Problem
	if !errors.As(err, &prob) || !strings.Contains(prob.What, "keeps its private keys in PEM files, but the config puts the keys in a PKCS#11 token") {
		t.Fatalf("files → token: %v", err)
	}

	// A wallet made with the token, then started without [pkcs11].
	tokCfg = tokenConfig(t, tok)
	a, err = Open(context.Background(), tokCfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	plain := tokCfg
	plain.PKCS11 = config.Default().PKCS11
	_, err = Open(context.Background(), plain, testOptions(newSCAClock()))
	if !errors.As(err, &prob) || !strings.Contains(prob.What, "keeps its private keys in a PKCS#11 token, but the config has no [pkcs11] module") {
		t.Fatalf("token → files: %v", err)
	}
	// The config now names another key than the one registered: named, with the way out.
	tokCfg.Bank.PKCS11SigningKeyLabel = "renamed"
	_, err = Open(context.Background(), tokCfg, opts)
	if !errors.As(err, &prob) || prob.What != `The signing key of bank sandbox (label "renamed") is not in the PKCS#11 token "payterm-journey".` ||
		!strings.Contains(prob.Next, "move "+filepath.Join(tokCfg.ResolvedDataDir(), "tpp")+" away") {
		t.Fatalf("missing key of a registered identity: %v", err)
	}
}
