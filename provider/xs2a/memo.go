package xs2aprov

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/xs2a"
)

// memo is the provider's memory of one payment (provider.State.Blob), stored by the core in
// the ledger: what later calls need after a restart. It holds the bank's links (absolute), the
// approach, the authorisation's id, status, links, methods and challenge text, and how many
// wrong answers the payer gave. Never a secret: no password, TAN, confirmation code, OAuth
// state, verifier, code or token, no TPP-Session-ID (those live in memory, or the keystore).
// Every string is checked again when it is read back: the ledger is a file.
type memo struct {
	V         int               `json:"v"`
	Product   string            `json:"product"`
	PaymentID string            `json:"paymentId"`
	Approach  string            `json:"approach,omitempty"`
	Links     map[string]string `json:"links"`
	Auth      *authMemo         `json:"auth,omitempty"`
	// CancelLinks are a 202 cancellation's links; Cancel its authorisation once started.
	CancelLinks map[string]string `json:"cancelLinks,omitempty"`
	Cancel      *authMemo         `json:"cancel,omitempty"`
	// Reason says in words why the payment ended (a failed bank SCA, a denial).
	Reason string `json:"reason,omitempty"`
}

// authMemo is one authorisation (of the payment or of its cancellation).
type authMemo struct {
	ID        string            `json:"id,omitempty"`
	SCAStatus string            `json:"scaStatus,omitempty"`
	Links     map[string]string `json:"links,omitempty"`
	Methods   []methodMemo      `json:"methods,omitempty"`
	Challenge string            `json:"challenge,omitempty"`
	Message   string            `json:"message,omitempty"`
	Wrong     int               `json:"wrong,omitempty"`
}

type methodMemo struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

const (
	memoVersion = 1
	maxMemo     = 64 << 10
	maxLinks    = 32
	maxMethods  = 20
	maxHref     = 2048
)

// browserLinkNames are opened by the payer's browser (any https host, or a loopback http one);
// every other link is called by the client, which checks its host again when it builds.
var browserLinkNames = map[string]bool{"scaRedirect": true, "scaOAuth": true}

func (m *memo) encode() []byte {
	b, err := json.Marshal(m)
	if err != nil { // maps of strings and plain structs: cannot fail
		panic(err)
	}
	return b
}

var errMemo = errors.New("the wallet's record of this payment at the bank is unreadable: check the payment at your bank")

// decodeMemo reads a Blob back, refusing anything encode could not have written: unknown
// fields, unsafe or over-long text, malformed links or ids.
func decodeMemo(b []byte) (*memo, error) {
	if len(b) == 0 || len(b) > maxMemo {
		return nil, errMemo
	}
	var m memo
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, errMemo
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errMemo
	}
	if m.V != memoVersion || !idOK(m.PaymentID) || !printable(m.Product, 128) || !textOK(m.Reason, 500) {
		return nil, errMemo
	}
	switch m.Approach {
	case "", string(xs2a.Redirect), string(xs2a.OAuth), string(xs2a.Decoupled), string(xs2a.Embedded):
	default:
		return nil, errMemo
	}
	if !linksOK(m.Links) || !linksOK(m.CancelLinks) || !m.Auth.ok() || !m.Cancel.ok() {
		return nil, errMemo
	}
	return &m, nil
}

func (a *authMemo) ok() bool {
	if a == nil {
		return true
	}
	if a.ID != "" && !idOK(a.ID) || !linksOK(a.Links) || len(a.Methods) > maxMethods || a.Wrong < 0 || a.Wrong > 100 ||
		!textOK(a.Challenge, 500) || !textOK(a.Message, 500) {
		return false
	}
	if a.SCAStatus != "" {
		if s, err := xs2a.ParseSCAStatus(a.SCAStatus); err != nil || string(s) != a.SCAStatus {
			return false
		}
	}
	for _, mm := range a.Methods {
		if !idOK(mm.ID) || len(mm.ID) > 128 || !textOK(mm.Label, 140) {
			return false
		}
	}
	return true
}

// idOK: printable ASCII without spaces, 1 to 512 bytes (the ids xs2a accepts).
func idOK(s string) bool { return printable(s, 512) && !strings.Contains(s, " ") }

// textOK: text the screens may show as it is (one line, no unsafe rune), at most n runes.
func textOK(s string, n int) bool { return safetext.Short(s, n) == s }

func linksOK(l map[string]string) bool {
	if len(l) > maxLinks {
		return false
	}
	for name, href := range l {
		if !linkNameOK(name) || !hrefOK(name, href) {
			return false
		}
	}
	return true
}

func linkNameOK(s string) bool {
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

// hrefOK: an absolute URL of printable ASCII without user info or fragment: https, or http
// on a loopback host for a page the browser opens (the embedded sandbox's pages).
func hrefOK(name, href string) bool {
	if !printable(href, maxHref) || strings.Contains(href, " ") {
		return false
	}
	u, err := url.Parse(href)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return false
	}
	return u.Scheme == "https" || browserLinkNames[name] && u.Scheme == "http" && loopback(u.Hostname())
}

func loopback(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// hrefs keeps the links as names and absolute hrefs (xs2a resolved them).
func hrefs(l xs2a.Links) map[string]string {
	if len(l) == 0 {
		return nil
	}
	out := make(map[string]string, len(l))
	for name, v := range l {
		out[name] = v.Href
	}
	return out
}

// link returns the named link of the first map that has it.
func link(name string, maps ...map[string]string) (xs2a.Link, bool) {
	for _, m := range maps {
		if h, ok := m[name]; ok {
			return xs2a.Link{Name: name, Href: h}, true
		}
	}
	return xs2a.Link{}, false
}
