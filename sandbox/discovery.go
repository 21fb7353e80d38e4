package sandbox

import (
	"net/http"

	jose "github.com/go-jose/go-jose/v4"
)

const rarType = "urn:openfinanceuae:service-initiation-consent:v2.1"

func (b *Bank) issuerMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", b.handleDiscovery)
	mux.HandleFunc("GET /jwks", b.handleJWKS)
	mux.HandleFunc("POST /tf/register", b.handleRegister)
	return b.wrap("issuer", "", mux)
}

func (b *Bank) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	ps256 := []string{"PS256"}
	doc := map[string]any{
		"issuer":                                           b.issuer,
		"authorization_endpoint":                           b.authURL + "/authorize",
		"pushed_authorization_request_endpoint":            b.asURL + "/par",
		"token_endpoint":                                   b.asURL + "/token",
		"jwks_uri":                                         b.issuer + "/jwks",
		"registration_endpoint":                            b.issuer + "/tf/register",
		"response_types_supported":                         []string{"code"},
		"response_modes_supported":                         []string{"query"},
		"grant_types_supported":                            []string{"authorization_code", "refresh_token", "client_credentials"},
		"scopes_supported":                                 []string{"openid", "payments", "accounts"},
		"code_challenge_methods_supported":                 []string{"S256"},
		"token_endpoint_auth_methods_supported":            []string{"private_key_jwt"},
		"token_endpoint_auth_signing_alg_values_supported": ps256,
		"request_object_signing_alg_values_supported":      ps256,
		"id_token_signing_alg_values_supported":            ps256,
		"request_object_encryption_alg_values_supported":   []string{},
		"require_pushed_authorization_requests":            true,
		"authorization_response_iss_parameter_supported":   true,
		"tls_client_certificate_bound_access_tokens":       true,
		"authorization_details_types_supported":            []string{rarType},
	}
	w.Header().Set("Cache-Control", "max-age=900")
	w.Header().Set("Content-Type", "application/json")
	writeJSONNoCacheHeader(w, doc)
}

func (b *Bank) handleJWKS(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{b.sig.publicJWK(), b.enc.publicJWK()}}
	b.mu.Unlock()
	w.Header().Set("Cache-Control", "max-age=900")
	w.Header().Set("Content-Type", "application/json")
	writeJSONNoCacheHeader(w, set)
}
