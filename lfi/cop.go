package lfi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Confirmation of Payee (uae-confirmation-of-payee-openapi.yaml, v2.1). Before money goes to a
// creditor the TPP does not know, the TPP asks the API Hub which LFI confirms the account
// (POST {CoP base}/discovery with the IBAN), then asks that LFI whether the name it was given
// is the account holder's (POST {ResourceServerUrl}/confirmation). Both calls carry a signed
// JWT request ({iss, aud, exp, nbf, iat, message}) and a client_credentials token with scope
// confirmation-of-payee, and both answers are signed JWTs verified like every other signed
// response: the discovery answer against the Hub's (this client's) keys, the confirmation
// answer against the confirming LFI's. The confirmation JWS is kept byte for byte: it goes into
// the payment as ConfirmationOfPayeeResponse.

// CoPScope is the OAuth scope of both CoP calls.
const CoPScope = "confirmation-of-payee"

// CoPBasePath is the standard's server path of the CoP API.
const CoPBasePath = "/open-finance/confirmation-of-payee/v2.1"

// CoPMatch is AEAccountNameMatchIndicators.
type CoPMatch string

// The three answers of /confirmation.
const (
	CoPMatchYes     CoPMatch = "ConfirmationOfPayee.Yes"
	CoPMatchPartial CoPMatch = "ConfirmationOfPayee.Partial"
	CoPMatchNo      CoPMatch = "ConfirmationOfPayee.No"
)

// CoPName is the name to confirm: a person's FullName (GivenName and LastName optional), or a
// BusinessName; exactly one of FullName and BusinessName is set.
type CoPName struct {
	FullName, GivenName, LastName string
	BusinessName                  string
}

// CoPSource is a verified /discovery answer: where to confirm the account.
type CoPSource struct {
	DiscoveryEndpointURL string // the confirming LFI's .well-known/openid-configuration
	ResourceServerURL    string // its CoP base; /confirmation is under it
	InteractionID        string
}

// CoPResult is a verified /confirmation answer.
type CoPResult struct {
	// Match is the bank's answer; "" when the account holder opted out (HTTP 204).
	Match    CoPMatch
	OptedOut bool
	// MaskedName is the bank's (masked) name of the account holder, checked free of control
	// and bidi characters and at most 140 characters; "" when the bank gave none. It is PII.
	MaskedName string
	// JWS is the signed answer exactly as received (ConfirmationOfPayeeResponse). PII.
	JWS           string
	InteractionID string
}

var copIBANRe = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$`)

// copBase is the configured CoP base or the standard path on the resource server's host.
func (c *Client) copBase() string {
	if c.cfg.CoPBaseURL != "" {
		return strings.TrimRight(c.cfg.CoPBaseURL, "/")
	}
	u := *c.base
	u.Path, u.RawPath = CoPBasePath, ""
	return u.String()
}

func checkCoPIBAN(iban string) error {
	if len(iban) > 34 || !copIBANRe.MatchString(iban) {
		return errors.New("the account is not an IBAN (2 letters, 2 digits, up to 30 letters or digits, no spaces)")
	}
	return nil
}

func (n CoPName) check() error {
	field := func(name, v string, max int, required bool) error {
		if v == "" {
			if required {
				return fmt.Errorf("%s is empty", name)
			}
			return nil
		}
		if strings.TrimSpace(v) != v || utf8.RuneCountInString(v) > max || !utf8.ValidString(v) {
			return fmt.Errorf("%s has surrounding spaces or is longer than %d characters", name, max)
		}
		return checkBankText(name, v, max)
	}
	switch {
	case n.BusinessName != "" && (n.FullName != "" || n.GivenName != "" || n.LastName != ""):
		return errors.New("name: a business name and a person's name cannot both be given")
	case n.BusinessName != "":
		return field("BusinessName", n.BusinessName, 140, true)
	}
	return errors.Join(field("FullName", n.FullName, 140, true), field("GivenName", n.GivenName, 70, false),
		field("LastName", n.LastName, 70, false))
}

func (n CoPName) wire() map[string]string {
	if n.BusinessName != "" {
		return map[string]string{"BusinessName": n.BusinessName}
	}
	m := map[string]string{"FullName": n.FullName}
	if n.GivenName != "" {
		m["GivenName"] = n.GivenName
	}
	if n.LastName != "" {
		m["LastName"] = n.LastName
	}
	return m
}

// DiscoverCoP asks the Hub which LFI confirms iban.
func (c *Client) DiscoverCoP(ctx context.Context, iban string) (*CoPSource, error) {
	const op = "confirmation of payee discovery"
	if err := checkCoPIBAN(iban); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	msg, err := json.Marshal(map[string]any{"Data": map[string]string{"SchemeName": "IBAN", "Identification": iban}})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var src *CoPSource
	err = c.copCall(ctx, op, c.copBase()+"/discovery", msg, func(r *response, v *Verified) error {
		var err error
		if src, err = decodeCoPDiscovery(v.Message); err != nil {
			return err
		}
		src.InteractionID = r.interactionID
		return nil
	}, nil)
	if err != nil {
		return nil, err
	}
	return src, nil
}

// ConfirmPayee asks the LFI src names whether name holds iban. A 404 (no such account)
// matches ErrNotFound; an opt-out is a result with OptedOut set.
func (c *Client) ConfirmPayee(ctx context.Context, src *CoPSource, iban string, name CoPName) (*CoPResult, error) {
	const op = "confirmation of payee"
	if src == nil {
		return nil, fmt.Errorf("%s: no confirming LFI (call DiscoverCoP first)", op)
	}
	if err := checkCoPIBAN(iban); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := name.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	target, err := c.copTarget(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	msg, err := json.Marshal(map[string]any{"Data": map[string]any{"SchemeName": "IBAN", "Identification": iban, "Name": name.wire()}})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	res := &CoPResult{}
	err = target.copCall(ctx, op, strings.TrimRight(src.ResourceServerURL, "/")+"/confirmation", msg, func(r *response, v *Verified) error {
		m, masked, err := decodeCoPConfirmation(v.Message)
		if err != nil {
			return err
		}
		res.Match, res.MaskedName, res.JWS, res.InteractionID = m, masked, string(bytes.TrimSpace(r.body)), r.interactionID
		return nil
	}, func(r *response) {
		res.OptedOut, res.InteractionID = true, r.interactionID
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// ConfirmationOfPayee runs discovery, then confirmation.
func (c *Client) ConfirmationOfPayee(ctx context.Context, iban string, name CoPName) (*CoPResult, error) {
	src, err := c.DiscoverCoP(ctx, iban)
	if err != nil {
		return nil, err
	}
	return c.ConfirmPayee(ctx, src, iban, name)
}

// copCall posts a signed CoP request (aud: this client's issuer) with a CoP-scoped token. A
// 200 is verified and handed to ok; a 204 to optedOut when given (else it is unverifiable).
func (c *Client) copCall(ctx context.Context, op, endpoint string, msg []byte, ok func(*response, *Verified) error, optedOut func(*response)) error {
	// No jti: the CoP request envelopes are closed ({iss, exp, nbf, aud, iat, message}).
	body, err := signMessage(c.cfg.Signer, c.cfg.ClientID, c.cfg.Issuer, c.clock(), "", msg)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	sent := decodeJOSEWithNested(op+" request", string(body))
	for try := 0; ; try++ {
		tok, err := c.scopedClientToken(ctx, &c.copTok, CoPScope)
		if err != nil {
			return err
		}
		cl := call{op: op, method: http.MethodPost, url: endpoint, header: bearer(tok), idempotent: true,
			body: func() (attemptBody, error) {
				return attemptBody{bytes: body, contentType: "application/jwt", sent: sent}, nil
			}}
		handle := c.resourceHandler(ctx, cl, http.StatusOK, ok)
		err = c.do(ctx, cl, func(r *response) error {
			if r.status == http.StatusNoContent && optedOut != nil {
				if len(bytes.TrimSpace(r.body)) != 0 {
					return &UnverifiableError{Op: op, HTTPStatus: r.status, InteractionID: r.interactionID, Err: errors.New("a 204 with a body")}
				}
				optedOut(r)
				return nil
			}
			return handle(r)
		})
		if try == 0 && errors.Is(err, ErrUnauthorized) {
			c.dropClientToken(tok)
			continue
		}
		return err
	}
}

// copTarget is the client of the LFI that confirms: this one when the Hub names our own
// discovery document, else one made (and kept) for the named LFI with our identity, keys and
// transport, expecting the issuer its discovery URL is the well-known document of.
func (c *Client) copTarget(src *CoPSource) (*Client, error) {
	if src.DiscoveryEndpointURL == c.cfg.DiscoveryURL {
		return c, nil
	}
	const wellKnown = "/.well-known/openid-configuration"
	issuer, found := strings.CutSuffix(src.DiscoveryEndpointURL, wellKnown)
	if !found || issuer == "" {
		return nil, errors.New("the Hub's DiscoveryEndpointUrl is not a .well-known/openid-configuration URL")
	}
	c.copMu.Lock()
	defer c.copMu.Unlock()
	if t := c.copLFI[src.DiscoveryEndpointURL]; t != nil {
		return t, nil
	}
	cfg := c.cfg
	cfg.DiscoveryURL, cfg.Issuer, cfg.ResourceBaseURL, cfg.ResponseIssuer, cfg.CoPBaseURL = src.DiscoveryEndpointURL, issuer, src.ResourceServerURL, "", ""
	cfg.Clock, cfg.Rand, cfg.Sleep, cfg.Observer = c.clock, c.rand, c.sleep, c.observe
	t, err := New(cfg)
	if err != nil {
		return nil, fmt.Errorf("confirming LFI: %w", err)
	}
	if c.copLFI == nil {
		c.copLFI = map[string]*Client{}
	}
	if len(c.copLFI) > 64 { // bounded: a hostile Hub cannot grow it without end
		clear(c.copLFI)
	}
	c.copLFI[src.DiscoveryEndpointURL] = t
	return t, nil
}

// decodeCoPDiscovery reads a verified AEConfirmationDiscoveryResponse.
func decodeCoPDiscovery(msg []byte) (*CoPSource, error) {
	var w struct {
		Data *struct {
			DiscoveryEndpointURL string `json:"DiscoveryEndpointUrl"`
			ResourceServerURL    string `json:"ResourceServerUrl"`
		} `json:"Data"`
		Links *struct {
			Self string `json:"Self"`
		} `json:"Links"`
	}
	if err := decodeObject(msg, &w); err != nil {
		return nil, fmt.Errorf("CoP discovery: %w", err)
	}
	if w.Data == nil {
		return nil, errors.New("CoP discovery: Data missing")
	}
	if w.Links == nil || w.Links.Self == "" {
		return nil, errors.New("CoP discovery: Links.Self missing")
	}
	if err := checkLink("CoP discovery: Links.Self", w.Links.Self); err != nil {
		return nil, err
	}
	for _, f := range []struct{ name, v string }{{"DiscoveryEndpointUrl", w.Data.DiscoveryEndpointURL}, {"ResourceServerUrl", w.Data.ResourceServerURL}} {
		if f.v == "" || len(f.v) > 500 {
			return nil, fmt.Errorf("CoP discovery: Data.%s missing or longer than 500", f.name)
		}
		if err := checkLink("CoP discovery: Data."+f.name, f.v); err != nil {
			return nil, err
		}
		u, err := httpsURL("CoP discovery: Data."+f.name, f.v)
		if err != nil {
			return nil, err
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("CoP discovery: Data.%s has a query or fragment", f.name)
		}
	}
	return &CoPSource{DiscoveryEndpointURL: w.Data.DiscoveryEndpointURL, ResourceServerURL: w.Data.ResourceServerURL}, nil
}

// decodeCoPConfirmation reads a verified AEAccountConfirmationResponse.
func decodeCoPConfirmation(msg []byte) (CoPMatch, string, error) {
	var w struct {
		Data *struct {
			NameMatchIndicator string  `json:"NameMatchIndicator"`
			MaskedName         *string `json:"MaskedName"`
		} `json:"Data"`
		Links *struct {
			Self string `json:"Self"`
		} `json:"Links"`
	}
	if err := decodeObject(msg, &w); err != nil {
		return "", "", fmt.Errorf("CoP confirmation: %w", err)
	}
	if w.Data == nil {
		return "", "", errors.New("CoP confirmation: Data missing")
	}
	if w.Links == nil || w.Links.Self == "" {
		return "", "", errors.New("CoP confirmation: Links.Self missing")
	}
	if err := checkLink("CoP confirmation: Links.Self", w.Links.Self); err != nil {
		return "", "", err
	}
	m := CoPMatch(w.Data.NameMatchIndicator)
	switch m {
	case CoPMatchYes, CoPMatchPartial, CoPMatchNo:
	default:
		return "", "", errors.New("CoP confirmation: Data.NameMatchIndicator is not ConfirmationOfPayee.Yes, .Partial or .No")
	}
	var masked string
	if w.Data.MaskedName != nil {
		masked = *w.Data.MaskedName
		if masked == "" || strings.TrimSpace(masked) == "" {
			return "", "", errors.New("CoP confirmation: Data.MaskedName is empty")
		}
		if !utf8.ValidString(masked) {
			return "", "", errors.New("CoP confirmation: Data.MaskedName is not UTF-8")
		}
		if err := checkBankText("CoP confirmation: Data.MaskedName", masked, 140); err != nil {
			return "", "", err
		}
	}
	return m, masked, nil
}
