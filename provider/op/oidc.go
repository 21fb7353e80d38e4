package op

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"
)

// The acr values OP knows: the default flow asks for SCA, the exemption flow for CA.
const (
	ACRSCA = "urn:openbanking:psd2:sca"
	ACRCA  = "urn:openbanking:psd2:ca"
)

// essential is one claim request: {value|values, essential:true}.
type essential struct {
	Value     string   `json:"value,omitempty"`
	Values    []string `json:"values,omitempty"`
	Essential bool     `json:"essential"`
}

// RequestObject is the JWT passed as `request` to the authorize endpoint (§1.4).
type RequestObject struct {
	Aud          string `json:"aud"`
	Iss          string `json:"iss"`
	ResponseType string `json:"response_type"`
	ClientID     string `json:"client_id"`
	RedirectURI  string `json:"redirect_uri,omitempty"`
	Scope        string `json:"scope"`
	State        string `json:"state"`
	Nonce        string `json:"nonce"`
	MaxAge       int    `json:"max_age"`
	Iat          int64  `json:"iat"`
	Exp          int64  `json:"exp"`
	Claims       struct {
		Userinfo struct {
			AuthorizationID essential `json:"authorizationId"`
		} `json:"userinfo"`
		IDToken struct {
			AuthorizationID essential `json:"authorizationId"`
			ACR             essential `json:"acr"`
		} `json:"id_token"`
	} `json:"claims"`
}

// requestObject is the default flow's request object for one bundle: response_type=code (the
// answer comes in the query, which a loopback listener can read; a fragment never reaches
// it), scope "openid payments", acr SCA, authorizationId essential.
func (b *Bank) requestObject(authID, state, nonce string) RequestObject {
	now := b.cfg.Clock()
	ro := RequestObject{Aud: b.cfg.Audience, Iss: b.cfg.ClientID, ResponseType: "code", ClientID: b.cfg.ClientID,
		RedirectURI: b.cfg.RedirectURI, Scope: "openid payments", State: state, Nonce: nonce, MaxAge: 86400,
		Iat: now.Unix(), Exp: now.Add(10 * time.Minute).Unix()}
	ro.Claims.Userinfo.AuthorizationID = essential{Value: authID, Essential: true}
	ro.Claims.IDToken.AuthorizationID = essential{Value: authID, Essential: true}
	ro.Claims.IDToken.ACR = essential{Values: []string{ACRSCA}, Essential: true}
	return ro
}

// exemptionObject is the exemption JWT (§1.7): response_type token, scope payments, no
// redirect_uri, acr CA, the new payment's authorizationId.
func (b *Bank) exemptionObject(authID, state, nonce string) RequestObject {
	ro := b.requestObject(authID, state, nonce)
	ro.ResponseType, ro.Scope, ro.RedirectURI = "token", "payments", ""
	ro.Claims.IDToken.ACR = essential{Values: []string{ACRCA}, Essential: true}
	return ro
}

// authorizeURL signs the request object and puts it on the authorize address with the query
// values it carries (request, response_type, client_id, scope; OP requires they equal the
// JWT's).
func (b *Bank) authorizeURL(authID, state, nonce string) (string, error) {
	ro := b.requestObject(authID, state, nonce)
	jwt, err := b.key.compactJWT(ro)
	if err != nil {
		return "", err
	}
	q := url.Values{"request": {jwt}, "response_type": {ro.ResponseType}, "client_id": {ro.ClientID}, "scope": {ro.Scope}}
	sep := "?"
	if strings.Contains(b.cfg.AuthorizeURL, "?") {
		sep = "&"
	}
	return b.cfg.AuthorizeURL + sep + q.Encode(), nil
}

// newState is a UUID: only RFC 4648 §5 characters, as OP requires of state.
func (b *Bank) newState() (string, error) { return b.uuid() }

// Callback is what OP put on the redirect_uri.
type Callback struct {
	Code  string
	State string
	// Error is OP's error code when the payer cancelled or OP refused (access_denied, …).
	Error string
}

// ErrNotOurCallback: the address is not the registered redirect_uri.
var ErrNotOurCallback = errors.New("that is not the address payterm asked OP to send your browser back to: paste the address your browser shows after OP's page")

// ParseCallback reads the address the browser landed on against the registered redirect_uri:
// same scheme, host and path; code and state (or error) once each, printable. Errors quote
// none of the values.
func ParseCallback(raw, redirectURI string) (Callback, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 8192 {
		return Callback{}, errors.New("the address is empty or too long: paste the address your browser shows after OP's page")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Callback{}, ErrNotOurCallback
	}
	r, err := url.Parse(redirectURI)
	if err != nil || !strings.EqualFold(r.Scheme, u.Scheme) || !strings.EqualFold(r.Host, u.Host) || r.Path != u.Path || u.User != nil {
		return Callback{}, ErrNotOurCallback
	}
	if u.Fragment != "" {
		return Callback{}, errors.New("the address carries its answer in a fragment: payterm asks OP for response_type=code, so this address was not made for payterm")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Callback{}, errors.New("the address's query cannot be read: paste it again, whole")
	}
	one := func(name string) (string, bool, error) {
		switch v := q[name]; len(v) {
		case 0:
			return "", false, nil
		case 1:
			if !printableToken(v[0], maxTokenLen) {
				return "", true, errors.New("the address's " + name + " is not printable text")
			}
			return v[0], true, nil
		}
		return "", true, errors.New("the address has " + name + " more than once: OP did not make it")
	}
	var cb Callback
	var has bool
	if cb.State, has, err = one("state"); err != nil {
		return Callback{}, err
	} else if !has {
		return Callback{}, errors.New("the address has no state: paste the whole address OP sent you to")
	}
	if cb.Error, has, err = one("error"); err != nil {
		return Callback{}, err
	} else if has {
		if !printableID(cb.Error, 64) {
			return Callback{}, errors.New("the address's error is not an OAuth error code")
		}
		return cb, nil
	}
	if cb.Code, has, err = one("code"); err != nil {
		return Callback{}, err
	} else if !has {
		return Callback{}, errors.New("the address has no code: paste the whole address OP sent you to")
	}
	return cb, nil
}

// exchange trades the code for the payer's tokens and checks the ID token (signature, iss,
// aud, nonce, sub = authorizationId, acr SCA, at_hash and rt_hash). The tokens are kept in
// memory for the bundle.
func (b *Bank) exchange(ctx context.Context, code, authID, nonce string) (*userToken, error) {
	t, err := b.tokenCall(ctx, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {b.cfg.RedirectURI}})
	if err != nil {
		return nil, err
	}
	if t.IDToken == "" || t.RefreshToken == "" {
		return nil, notSent("OP's token answer has no ID token or refresh token", nil)
	}
	now := b.cfg.Clock()
	if err := CheckIDToken(t.IDToken, b.cfg.IDTokenKeys, IDTokenWant{Issuer: b.cfg.Issuer, ClientID: b.cfg.ClientID, Nonce: nonce,
		AuthorizationID: authID, ACR: ACRSCA, AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Now: now}); err != nil {
		return nil, &callError{Msg: "OP's answer to the code exchange cannot be trusted; nothing is submitted", Err: err}
	}
	u := &userToken{access: t.AccessToken, refresh: t.RefreshToken, exp: now.Add(time.Duration(t.ExpiresIn) * time.Second), refreshExp: now.Add(RefreshLife)}
	b.mu.Lock()
	b.users[authID] = u
	b.mu.Unlock()
	// Kept before the submission: a restart from here on still submits (OP's page will not
	// open again for an approved bundle). A keeper that fails does not stop the submission the
	// payer approved; only a restart before it ends would then need a new approval.
	_ = b.keepTokens()
	return u, nil
}

// RefreshExpiry is when the refresh token held for an authorization ends (zero when none is
// held): the grant dashboard warns ahead of it.
func (b *Bank) RefreshExpiry(authID string) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	if u := b.users[authID]; u != nil {
		return u.refreshExp
	}
	return time.Time{}
}
