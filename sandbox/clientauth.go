package sandbox

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"

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
		writeOAuthError(w, "invalid_client", err.Error())
		return nil, certInfo{}, false
	}
	setVerdictClient(r.Context(), c.ClientID)
	return c, certInfo{cert: cert, thumbprint: certThumbprint(cert)}, true
}

// readForm enforces rule 2: x-www-form-urlencoded only, no duplicate parameter.
func (b *Bank) readForm(w http.ResponseWriter, r *http.Request) (formValues, bool) {
	ctx := r.Context()
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		check(ctx, 2, "content type is application/x-www-form-urlencoded", errors.New("wrong content type"))
		writeOAuthError(w, "invalid_request", "content type must be application/x-www-form-urlencoded")
		return nil, false
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, rules.MaxJOSELength+1))
	if err != nil || len(raw) > rules.MaxJOSELength {
		check(ctx, 2, "form body readable and bounded", errors.New("body too large or unreadable"))
		writeOAuthError(w, "invalid_request", "body too large or unreadable")
		return nil, false
	}
	vals, err := url.ParseQuery(string(raw))
	if err != nil {
		check(ctx, 2, "form body well-formed", errors.New("malformed form encoding"))
		writeOAuthError(w, "invalid_request", "malformed form body")
		return nil, false
	}
	out := formValues{}
	for k, v := range vals {
		if len(v) != 1 {
			err := fmt.Errorf("parameter %s appears %d times", k, len(v))
			check(ctx, 2, "no duplicate form parameters", err)
			writeOAuthError(w, "invalid_request", err.Error())
			return nil, false
		}
		out[k] = v[0]
	}
	check(ctx, 2, "form encoding, no duplicates", nil)
	return out, true
}

// onlyParams is rule 2's "no unknown parameters".
func onlyParams(f formValues, allowed []string) error {
	for k := range f {
		if !slices.Contains(allowed, k) {
			return fmt.Errorf("unknown parameter %s", k)
		}
	}
	return nil
}

// clientKeyLookup resolves a kid in the client's registered signing JWKS.
func clientKeyLookup(c *Client) rules.KeyLookup {
	return func(kid string) (*jose.JSONWebKey, error) {
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(c.SigningJWKS, &set); err != nil {
			return nil, fmt.Errorf("client JWKS: %w", err)
		}
		keys := set.Key(kid)
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
func (b *Bank) rulesOptions() rules.Options {
	o := rules.DefaultOptions()
	o.Leeway = b.cfg.Leeway
	o.BICs = b.cfg.BICs
	o.AllowLoopbackRedirects = *b.cfg.AllowLoopbackRedirect
	return o
}
