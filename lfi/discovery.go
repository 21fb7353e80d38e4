package lfi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"time"
)

// Discovery is the part of the bank's OpenID configuration the TPP uses. Every endpoint is
// taken from here; none is derived from the issuer (the UAE hub serves PAR and token on a
// different host than the issuer).
type Discovery struct {
	Issuer                             string   `json:"issuer"`
	AuthorizationEndpoint              string   `json:"authorization_endpoint"`
	PushedAuthorizationRequestEndpoint string   `json:"pushed_authorization_request_endpoint"`
	TokenEndpoint                      string   `json:"token_endpoint"`
	JWKSURI                            string   `json:"jwks_uri"`
	RegistrationEndpoint               string   `json:"registration_endpoint,omitempty"`
	CodeChallengeMethodsSupported      []string `json:"code_challenge_methods_supported,omitempty"`
	TokenEndpointAuthMethodsSupported  []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	RequestObjectSigningAlgs           []string `json:"request_object_signing_alg_values_supported,omitempty"`
	AuthorizationResponseISSSupported  bool     `json:"authorization_response_iss_parameter_supported,omitempty"`
	RequirePushedAuthorizationRequests bool     `json:"require_pushed_authorization_requests,omitempty"`
	AuthorizationDetailsTypesSupported []string `json:"authorization_details_types_supported,omitempty"`
}

// Discovery returns the bank's discovery document, fetched from the configured URL and
// cached for the server's Cache-Control max-age.
func (c *Client) Discovery(ctx context.Context) (*Discovery, error) {
	d, _, err := c.disc.get(ctx, c.clock(), false, c.fetchDiscovery)
	if err != nil {
		return nil, err
	}
	cp := *d // callers get their own copy of the cached document
	return &cp, nil
}

func (c *Client) fetchDiscovery(ctx context.Context) (*Discovery, time.Duration, error) {
	var d *Discovery
	var ttl time.Duration
	err := c.do(ctx, call{op: "discovery", method: http.MethodGet, url: c.cfg.DiscoveryURL,
		header: http.Header{"Accept": {"application/json"}}, idempotent: true},
		func(r *response) error {
			r.ex.ResponseJSON = redactJSON(r.body)
			if r.status != http.StatusOK {
				return &BankError{Op: "discovery", HTTPStatus: r.status, InteractionID: r.interactionID}
			}
			var err error
			if d, err = decodeDiscovery(r.body, c.cfg.Issuer); err != nil {
				return fmt.Errorf("discovery: %w", err)
			}
			ttl = cacheTTL(r.header)
			return nil
		})
	return d, ttl, err
}

// decodeDiscovery parses and checks a discovery document against the expected issuer.
func decodeDiscovery(body []byte, wantIssuer string) (*Discovery, error) {
	var d Discovery
	if err := unmarshal(body, &d); err != nil {
		return nil, fmt.Errorf("decode document: %w", err)
	}
	if d.Issuer == "" {
		return nil, errors.New("document has no issuer")
	}
	// Exact comparison (FAPI conformance "discovery-issuer-mismatch"), no normalisation.
	if d.Issuer != wantIssuer {
		return nil, fmt.Errorf("issuer %q does not match the configured issuer %q", safeToken(d.Issuer), safeToken(wantIssuer))
	}
	if err := checkAuthorizationEndpoint(d.AuthorizationEndpoint); err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	for _, ep := range []struct{ name, v string }{
		{"pushed_authorization_request_endpoint", d.PushedAuthorizationRequestEndpoint},
		{"token_endpoint", d.TokenEndpoint},
		{"jwks_uri", d.JWKSURI},
	} {
		if _, err := httpsURL(ep.name, ep.v); err != nil {
			return nil, fmt.Errorf("document: %w", err)
		}
	}
	// The endpoints are the addresses the inspector shows for each call: links, so printable
	// ASCII (a C1 control or a bidi override in one would reach the screen as an address).
	for _, ep := range []struct{ name, v string }{
		{"authorization_endpoint", d.AuthorizationEndpoint},
		{"pushed_authorization_request_endpoint", d.PushedAuthorizationRequestEndpoint},
		{"token_endpoint", d.TokenEndpoint},
		{"jwks_uri", d.JWKSURI},
	} {
		if err := checkLink(ep.name, ep.v); err != nil {
			return nil, fmt.Errorf("document: %w", err)
		}
	}
	if len(d.CodeChallengeMethodsSupported) > 0 && !slices.Contains(d.CodeChallengeMethodsSupported, "S256") {
		return nil, errors.New("document: the server does not support PKCE S256")
	}
	if len(d.TokenEndpointAuthMethodsSupported) > 0 && !slices.Contains(d.TokenEndpointAuthMethodsSupported, "private_key_jwt") {
		return nil, errors.New("document: the server does not support private_key_jwt")
	}
	return &d, nil
}

// checkAuthorizationEndpoint requires https, except plain http on a loopback IP: the
// embedded sandbox serves its consent page there because a browser would not trust the
// sandbox CA. The TPP never sends a credential to this endpoint; only the user's browser does.
func checkAuthorizationEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err == nil && u.Scheme == "http" && u.User == nil {
		if ip, perr := netip.ParseAddr(u.Hostname()); perr == nil && ip.IsLoopback() {
			return nil
		}
	}
	_, err = httpsURL("authorization_endpoint", raw)
	return err
}
