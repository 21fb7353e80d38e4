package xs2a

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Link is one hypermedia link the bank gave, resolved to an absolute URL.
type Link struct {
	Name string
	Href string // absolute
}

// Links are a response's _links by name (scaRedirect, scaStatus, startAuthorisation, …).
type Links map[string]Link

// Get returns the named link and whether it is there.
func (l Links) Get(name string) (Link, bool) {
	v, ok := l[name]
	return v, ok
}

// browserLinks are shown to the PSU (or fetched as OAuth metadata), not called with our
// certificate, and commonly live on another host of the bank: any https URL is allowed, and
// plain http only on a loopback host (a bank's page on the PSU's own machine, as the embedded
// sandbox serves it; a real bank's page is always https).
var browserLinks = map[string]bool{"scaRedirect": true, "scaOAuth": true}

// LinkError: a link the client refuses to follow (another host, not https, malformed).
type LinkError struct {
	Name   string
	Reason string
}

func (e *LinkError) Error() string {
	return fmt.Sprintf("bank link %s refused: %s", clip(e.Name), e.Reason)
}

const maxHrefLen = 2048

// decodeLinks reads a _links object: each member {"href": "...", ...}. API links are
// resolved against base (relative hrefs are common: "/psd2/v1/payments/…") and must stay on
// base's scheme, host and port; browser links must be https (or http on a loopback host). An href with user
// info, a fragment, a control or non-ASCII character, or over 2 KiB is refused.
func decodeLinks(raw json.RawMessage, base *url.URL) (Links, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return Links{}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, errors.New("_links is not an object")
	}
	out := Links{}
	for name, v := range m {
		if !linkNameRE(name) {
			return nil, &LinkError{Name: name, Reason: "the link name is not a plain identifier"}
		}
		var l struct {
			Href *string `json:"href"`
		}
		if err := json.Unmarshal(v, &l); err != nil || l.Href == nil {
			return nil, &LinkError{Name: name, Reason: "no href"}
		}
		abs, err := resolveHref(name, *l.Href, base)
		if err != nil {
			return nil, err
		}
		out[name] = Link{Name: name, Href: abs}
	}
	return out, nil
}

func linkNameRE(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func resolveHref(name, href string, base *url.URL) (string, error) {
	if browserLinks[name] {
		// SpareBank 1's own example writes the PSU's Accept-Language into the login link raw
		// ("…&locale=no-NB, no; q=1.0", seed 002); a browser sends a space in a URL as %20,
		// and so does the client.
		href = strings.ReplaceAll(href, " ", "%20")
	}
	if href == "" || len(href) > maxHrefLen {
		return "", &LinkError{Name: name, Reason: "empty or longer than 2 KiB"}
	}
	for i := 0; i < len(href); i++ {
		if href[i] <= 0x20 || href[i] >= 0x7f {
			return "", &LinkError{Name: name, Reason: "a space, control or non-ASCII character"}
		}
	}
	u, err := url.Parse(href)
	if err != nil {
		return "", &LinkError{Name: name, Reason: "not a URL"}
	}
	if u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return "", &LinkError{Name: name, Reason: "user info, fragment or opaque URL"}
	}
	if browserLinks[name] {
		if !u.IsAbs() {
			u = base.ResolveReference(u)
		}
		if u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
			return "", &LinkError{Name: name, Reason: "not an https URL (http only on a loopback host)"}
		}
		return u.String(), nil
	}
	if u.IsAbs() || u.Host != "" {
		if !strings.EqualFold(u.Scheme, base.Scheme) || !strings.EqualFold(u.Host, base.Host) {
			return "", &LinkError{Name: name, Reason: "it points to another host than the bank's API"}
		}
	}
	if u.Path == "" || !strings.HasPrefix(u.Path, "/") && !u.IsAbs() {
		// A path relative to the current document is ambiguous in BG (no document URL is
		// defined for it); banks write absolute paths.
		return "", &LinkError{Name: name, Reason: "not an absolute path"}
	}
	r := base.ResolveReference(u)
	if strings.Contains(r.Path, "/../") || strings.HasSuffix(r.Path, "/..") {
		return "", &LinkError{Name: name, Reason: "a dot-dot path"}
	}
	return r.String(), nil
}
