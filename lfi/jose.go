package lfi

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Allow-lists: the only algorithms accepted anywhere (UAE v2.1: PS256; RSA-OAEP-256 + A256GCM).
var (
	allowedSigAlgs = []jose.SignatureAlgorithm{jose.PS256}
	allowedKeyAlgs = []jose.KeyAlgorithm{jose.RSA_OAEP_256}
	allowedEncs    = []jose.ContentEncryption{jose.A256GCM}
)

const (
	// clockLeeway tolerates drift between our clock and the bank's (FAPI assumes ≤ 10 s).
	clockLeeway = 30 * time.Second
	// signedLifetime is the exp − iat of every signed request body (UAE: ≤ 5 min).
	signedLifetime = 300 * time.Second
	// nbfBackdate is how far nbf precedes iat (UAE guidance: now − 10 s).
	nbfBackdate = 10 * time.Second
)

// SealPII signs piiJSON (a JSON object: the consent or payment PII) as a PS256 JWS with our
// signing kid and encrypts that compact JWS to the LFI's enc key as a compact JWE
// (RSA-OAEP-256 + A256GCM, kid in the header, no cty). No claims are added: the LFI
// re-decrypts consent PII months later, so an exp inside would be wrong.
func SealPII(s *Signer, to EncryptionKey, piiJSON []byte) (string, error) {
	if err := requireJSONObject(piiJSON); err != nil {
		return "", fmt.Errorf("seal PII: %w", err)
	}
	if to.Key == nil || to.KeyID == "" {
		return "", errors.New("seal PII: no LFI encryption key")
	}
	jws, err := s.Sign(piiJSON)
	if err != nil {
		return "", fmt.Errorf("seal PII: %w", err)
	}
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: to.Key, KeyID: to.KeyID}, nil)
	if err != nil {
		return "", fmt.Errorf("seal PII: %w", err)
	}
	obj, err := enc.Encrypt([]byte(jws))
	if err != nil {
		return "", fmt.Errorf("seal PII: encrypt: %w", err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("seal PII: serialize: %w", err)
	}
	return out, nil
}

// SealPII seals piiJSON to the LFI's current enc key (from the cached JWKS).
func (c *Client) SealPII(ctx context.Context, piiJSON []byte) (string, error) {
	k, err := c.EncryptionKey(ctx)
	if err != nil {
		return "", fmt.Errorf("seal PII: %w", err)
	}
	return SealPII(c.cfg.Signer, k, piiJSON)
}

// signedEnvelope is the AEJwt claim set around a request message.
type signedEnvelope struct {
	Iss     string          `json:"iss"`
	Aud     []string        `json:"aud"`
	Iat     int64           `json:"iat"`
	Nbf     int64           `json:"nbf"`
	Exp     int64           `json:"exp"`
	Jti     string          `json:"jti,omitempty"`
	Message json.RawMessage `json:"message"`
}

// SignMessage wraps message (a JSON object such as {"Data":{…}}) in the signed `message`
// envelope: iss = client_id, aud = [issuer], iat = now, nbf = now − 10 s, exp = now + 5 min.
func SignMessage(s *Signer, clientID, issuer string, now time.Time, message []byte) ([]byte, error) {
	return signMessage(s, clientID, issuer, now, "", message)
}

func signMessage(s *Signer, clientID, issuer string, now time.Time, jti string, message []byte) ([]byte, error) {
	if err := requireJSONObject(message); err != nil {
		return nil, fmt.Errorf("sign message: %w", err)
	}
	env := signedEnvelope{Iss: clientID, Aud: []string{issuer}, Iat: now.Unix(),
		Nbf: now.Add(-nbfBackdate).Unix(), Exp: now.Add(signedLifetime).Unix(), Jti: jti, Message: message}
	jws, err := s.SignClaims(env)
	if err != nil {
		return nil, fmt.Errorf("sign message: %w", err)
	}
	return []byte(jws), nil
}

// SignPayment signs a payment request message ({"Data":{…}}) for POST /payments. Persist the
// bytes before sending; every retry must resend exactly them.
func (c *Client) SignPayment(message []byte) ([]byte, error) {
	b, err := SignMessage(c.cfg.Signer, c.cfg.ClientID, c.cfg.Issuer, c.clock(), message)
	if err != nil {
		return nil, fmt.Errorf("sign payment request: %w", err)
	}
	return b, nil
}

func requireJSONObject(b []byte) error {
	t := bytes.TrimSpace(b)
	if len(t) == 0 || t[0] != '{' || !json.Valid(t) {
		return errors.New("not a JSON object")
	}
	return nil
}

// VerifyOptions are the checks beyond the signature.
type VerifyOptions struct {
	Now    time.Time
	Issuer string // if set, iss must equal it
	// Audience, if set, must be in aud when aud is present (a string or an array). The AEJwt
	// schema makes aud optional, so its absence is accepted; a response addressed to anyone
	// else is not ours.
	Audience string
}

// Verified is a response whose signature and claims checked out.
type Verified struct {
	KeyID   string
	Issuer  string
	Expiry  time.Time
	Payload []byte          // the whole JWS payload (claims)
	Message json.RawMessage // the `message` member, nil when absent
}

// VerifyCompact verifies a compact PS256 JWS with key, then its exp (required), nbf and iat
// (if present) and iss (if opts.Issuer is set). Only then is the payload returned.
func VerifyCompact(compact []byte, key *rsa.PublicKey, opts VerifyOptions) (*Verified, error) {
	if opts.Now.IsZero() {
		return nil, errors.New("verify: VerifyOptions.Now is required (exp cannot be checked without a clock)")
	}
	if key == nil {
		return nil, errors.New("verify: nil key")
	}
	obj, kid, err := parseCompactJWS(compact)
	if err != nil {
		return nil, err
	}
	payload, err := obj.Verify(key)
	if err != nil {
		return nil, fmt.Errorf("signature does not verify with kid %q", safeToken(kid))
	}
	v, err := checkClaims(payload, opts)
	if err != nil {
		return nil, err
	}
	v.KeyID = kid
	return v, nil
}

// parseCompactJWS parses with the PS256 allow-list and requires exactly one signature
// with a kid.
func parseCompactJWS(compact []byte) (*jose.JSONWebSignature, string, error) {
	s := strings.TrimSpace(string(compact))
	if s == "" {
		return nil, "", errEmptyBody
	}
	if strings.Count(s, ".") != 2 {
		return nil, "", errors.New("not a compact JWS")
	}
	obj, err := jose.ParseSignedCompact(s, allowedSigAlgs)
	if err != nil {
		return nil, "", fmt.Errorf("parse JWS: %w", err)
	}
	if len(obj.Signatures) != 1 {
		return nil, "", errors.New("JWS must have exactly one signature")
	}
	kid := obj.Signatures[0].Protected.KeyID
	if kid == "" {
		return nil, "", errors.New("JWS header has no kid")
	}
	if err := checkKID(kid); err != nil {
		return nil, "", fmt.Errorf("JWS header: %w", err)
	}
	return obj, kid, nil
}

type responseClaims struct {
	Iss     *string         `json:"iss"`
	Aud     json.RawMessage `json:"aud"`
	Exp     *json.Number    `json:"exp"`
	Nbf     *json.Number    `json:"nbf"`
	Iat     *json.Number    `json:"iat"`
	Message json.RawMessage `json:"message"`
}

func checkClaims(payload []byte, opts VerifyOptions) (*Verified, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var cl responseClaims
	if err := jsonErr(dec.Decode(&cl)); err != nil {
		return nil, fmt.Errorf("claims are not a JSON object: %w", err)
	}
	if dec.More() {
		return nil, errors.New("claims: trailing data")
	}
	if cl.Exp == nil {
		return nil, errors.New("claims: exp missing")
	}
	exp, err := numericDate(*cl.Exp)
	if err != nil {
		return nil, fmt.Errorf("claims: exp: %w", err)
	}
	if !opts.Now.Before(exp.Add(clockLeeway)) {
		return nil, fmt.Errorf("claims: expired at %s", exp.UTC().Format(time.RFC3339))
	}
	for name, n := range map[string]*json.Number{"nbf": cl.Nbf, "iat": cl.Iat} {
		if n == nil {
			continue
		}
		t, err := numericDate(*n)
		if err != nil {
			return nil, fmt.Errorf("claims: %s: %w", name, err)
		}
		if t.After(opts.Now.Add(clockLeeway)) {
			return nil, fmt.Errorf("claims: %s is in the future", name)
		}
	}
	v := &Verified{Expiry: exp, Payload: payload}
	if cl.Iss != nil {
		v.Issuer = *cl.Iss
	}
	if opts.Issuer != "" && v.Issuer != opts.Issuer {
		return nil, fmt.Errorf("claims: iss %q is not the expected issuer", safeToken(v.Issuer))
	}
	if opts.Audience != "" && len(cl.Aud) > 0 && !bytes.Equal(cl.Aud, []byte("null")) {
		// The id_token's reader: a string or a non-empty array of strings (RFC 7519 §4.1.3).
		aud, err := audience(cl.Aud)
		if err != nil || !slices.Contains(aud, opts.Audience) {
			return nil, errors.New("claims: aud does not name this client")
		}
	}
	if len(cl.Message) > 0 && !bytes.Equal(cl.Message, []byte("null")) {
		v.Message = cl.Message
	}
	return v, nil
}

// numericDate accepts a JSON number of seconds (fractions allowed, RFC 7519).
func numericDate(n json.Number) (time.Time, error) {
	f, err := n.Float64()
	if err != nil || f < 0 || f > 253402300799 { // year 9999
		return time.Time{}, errors.New("not a valid NumericDate")
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)), nil
}

// verifyResponse verifies a signed bank response body against the LFI JWKS (kid lookup
// with one refetch) and records the outcome on the exchange.
func (c *Client) verifyResponse(ctx context.Context, body []byte, ex *Exchange) (*Verified, error) {
	vr := &Verification{Alg: string(jose.PS256)}
	if ex != nil {
		ex.Verification = vr
		ex.Received = append(ex.Received, decodeJOSEWithNested("response", string(bytes.TrimSpace(body)))...)
	}
	v, err := c.verifyBody(ctx, body, vr)
	if err != nil {
		vr.Error = err.Error()
		return nil, err
	}
	vr.OK, vr.Issuer, vr.Expiry = true, v.Issuer, v.Expiry
	return v, nil
}

func (c *Client) verifyBody(ctx context.Context, body []byte, vr *Verification) (*Verified, error) {
	obj, kid, err := parseCompactJWS(body)
	if err != nil {
		return nil, err
	}
	vr.KeyID = kid
	vr.Verified = append(vr.Verified, "alg PS256", "kid present")
	key, refetched, err := c.verificationKey(ctx, kid)
	vr.Refetch = refetched
	if err != nil {
		return nil, err
	}
	payload, err := obj.Verify(key)
	if err != nil {
		return nil, fmt.Errorf("signature does not verify with kid %q", safeToken(kid))
	}
	vr.Verified = append(vr.Verified, "signature")
	v, err := checkClaims(payload, VerifyOptions{Now: c.clock(), Issuer: c.responseIssuer(), Audience: c.cfg.ClientID})
	if err != nil {
		return nil, err
	}
	vr.Verified = append(vr.Verified, "exp", "iss")
	if bytes.Contains(payload, []byte(`"aud"`)) {
		vr.Verified = append(vr.Verified, "aud")
	}
	v.KeyID = kid
	return v, nil
}

// responseIssuer is what a signed resource response's iss must be: the configured
// ResponseIssuer, else the issuer discovery confirmed.
func (c *Client) responseIssuer() string {
	if c.cfg.ResponseIssuer != "" {
		return c.cfg.ResponseIssuer
	}
	return c.cfg.Issuer
}
