package sandbox

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/payterm/payterm/sandbox/rules"
)

// formValues is a parsed form in which every parameter occurs once.
type formValues map[string]string

func (f formValues) Get(k string) string { return f[k] }

// certInfo is the presented transport certificate, for sender-constrained tokens (rule 26).
type certInfo struct {
	cert       *x509.Certificate
	thumbprint string
}

// authClientTLS enforces rule 1 on the AS: a sandbox-CA client certificate whose CN is a
// registered client_id. On failure it writes 401 invalid_client.
func (b *Bank) authClientTLS(w http.ResponseWriter, r *http.Request) (*Client, certInfo, bool) {
	c, cert, err := b.clientFromCert(r)
	if check(r.Context(), 1, "mTLS client certificate maps to a registered client", err) != nil {
		// Rule 1: 401 (the TLS layer already refused certificates from other CAs).
		writeJSON(w, http.StatusUnauthorized, oauthError{Error: "invalid_client", ErrorDescription: err.Error()})
		return nil, certInfo{}, false
	}
	setVerdictClient(r.Context(), c.ClientID)
	return c, certInfo{cert: cert, thumbprint: certThumbprint(cert)}, true
}

// readBody reads a bounded /par or /token body.
func (b *Bank) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, rules.MaxJOSELength+1))
	if err != nil || len(raw) > rules.MaxJOSELength {
		check(r.Context(), 2, "form body readable and bounded", errors.New("body too large or unreadable"))
		writeOAuthError(w, "invalid_request", "body too large or unreadable")
		return nil, false
	}
	return raw, true
}

// parseForm enforces rule 2 through rules.ParseForm: form encoding, no duplicate, unknown,
// empty or missing parameter.
func (b *Bank) parseForm(w http.ResponseWriter, r *http.Request, raw []byte, allowed, required []string) (formValues, bool) {
	f, err := rules.ParseForm(r.Header.Get("Content-Type"), raw, allowed, required)
	if err != nil {
		v := rules.AsOAuth(err, rules.OAuthInvalidRequest)
		check(r.Context(), 2, "form parameters", v)
		writeOAuthError(w, v.Code, v.Message)
		return nil, false
	}
	check(r.Context(), 2, "form encoding, known parameters, no duplicates", nil)
	return formValues(f), true
}

// parsedJWKS caches registered signing JWKS by their JSON (a registration with other keys is
// another entry), so a payment does not parse its client's keys twice.
var parsedJWKS sync.Map // string → *jose.JSONWebKeySet

// clientKeyLookup resolves a kid in the client's registered signing JWKS.
func clientKeyLookup(c *Client) rules.KeyLookup {
	return func(kid string) (*jose.JSONWebKey, error) {
		set, ok := parsedJWKS.Load(string(c.SigningJWKS))
		if !ok {
			var s jose.JSONWebKeySet
			if err := json.Unmarshal(c.SigningJWKS, &s); err != nil {
				return nil, fmt.Errorf("client JWKS: %w", err)
			}
			set, _ = parsedJWKS.LoadOrStore(string(c.SigningJWKS), &s)
		}
		keys := set.(*jose.JSONWebKeySet).Key(kid)
		if len(keys) == 0 {
			return nil, errors.New("unknown kid")
		}
		return &keys[0], nil
	}
}

// authenticateAssertion enforces rules 3 and 4 (private_key_jwt) and the jti replay cache.
// On failure it writes 401 invalid_client.
func (b *Bank) authenticateAssertion(w http.ResponseWriter, r *http.Request, form formValues, c *Client) bool {
	ctx := r.Context()
	fail := func(rule int, name string, err error) bool {
		v := rules.AsOAuth(err, rules.OAuthInvalidClient)
		if v.Rule == 0 {
			v.Rule = rule
		}
		check(ctx, v.Rule, name, v)
		writeOAuthError(w, v.Code, v.Message)
		return false
	}
	if err := rules.CheckClientAssertionType(form.Get("client_assertion_type")); err != nil {
		return fail(3, "client_assertion_type is jwt-bearer", err)
	}
	if id := form.Get("client_id"); id != "" && id != c.ClientID {
		return fail(4, "form client_id equals the certificate's client",
			&rules.Violation{Rule: 4, Code: rules.OAuthInvalidClient, Path: "client_id", Message: "client_id does not match the client certificate"})
	}
	res, err := rules.VerifyClientAssertion(form.Get("client_assertion"), clientKeyLookup(c), c.ClientID, b.issuer, b.now(), b.rulesOptions())
	if err != nil {
		return fail(4, "client assertion signature and claims", err)
	}
	check(ctx, 3, "client assertion is a PS256 JWS by the client's key", nil)
	// Replay cache: the jti is remembered until the assertion expires (plus leeway).
	key := c.ClientID + "\x00" + res.JTI
	b.mu.Lock()
	_, seen := b.st.JTIs[key]
	if !seen {
		b.st.JTIs[key] = res.ExpiresAt
		b.touchLocked(kindJTI, key) // journaled by the handler's commit
	}
	b.mu.Unlock()
	if seen {
		return fail(4, "client assertion jti not replayed",
			&rules.Violation{Rule: 4, Code: rules.OAuthInvalidClient, Path: "jti", Message: "client assertion jti was already used"})
	}
	check(ctx, 4, "client assertion claims (iss, sub, aud, exp, jti unused)", nil)
	return true
}

// rulesOptions maps the bank's settings onto the rules package's [SIM-CHOICE] switches.
// Config.Rules carries the rules engine's own switches; the bank's Leeway, BICs and loopback
// setting apply where Config.Rules leaves them unset.
func (b *Bank) rulesOptions() rules.Options {
	o := b.cfg.Rules
	if o.Leeway == 0 {
		o.Leeway = b.cfg.Leeway
	}
	if o.BICs == nil {
		o.BICs = b.cfg.BICs
	}
	o.AllowLoopbackRedirects = *b.cfg.AllowLoopbackRedirect
	return o
}
