package consent

import (
	"errors"
	"net/url"
	"strings"
)

// AuthorizationURL returns {authorization_endpoint}?client_id&response_type=code&scope=openid&
// request_uri. Everything else travels in the pushed request object, so nothing else is added.
func AuthorizationURL(endpoint, clientID, requestURI string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return "", errors.New("authorization URL: the discovered authorization_endpoint is not an absolute URL")
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname())) {
		return "", errors.New("authorization URL: authorization_endpoint must use https")
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(endpoint, "?#") {
		// Merging parameters would send more than the four FAPI allows on the front channel.
		return "", errors.New("authorization URL: authorization_endpoint must not carry a query or fragment")
	}
	if clientID == "" {
		return "", errors.New("authorization URL: empty client_id")
	}
	if requestURI == "" {
		return "", errors.New("authorization URL: empty request_uri from PAR")
	}
	q := url.Values{}
	q.Set("client_id", clientID)
	q.Set("response_type", "code")
	q.Set("scope", "openid")
	q.Set("request_uri", requestURI)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
