package fintecture

import (
	"errors"
	"net/url"
	"strings"
)

// Callback is what Connect put on the redirect_uri when it sent the payer's browser back. It
// is a hint only: the status is read again with GET /pis/v2/payments/{session_id} before
// anything is believed (anyone can type an address into a browser).
type Callback struct {
	State     string
	SessionID string
	Status    string
}

// ErrNotOurCallback: the address is not the redirect_uri payterm registered.
var ErrNotOurCallback = errors.New("that is not the address payterm asked Fintecture to send your browser back to: paste the address your browser shows after the payment page")

// ParseCallback reads an address the payer pasted (or the browser landed on) against the
// registered redirect address: same scheme, host and path; exactly one state, session_id
// and status; state ≤ 512 printable characters; session_id an id; status a word of §4.4.
// Errors quote none of the values.
func ParseCallback(raw, redirectURI string) (Callback, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 4096 {
		return Callback{}, errors.New("the address is empty or too long: paste the address your browser shows after the payment page")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Callback{}, ErrNotOurCallback
	}
	r, err := url.Parse(redirectURI)
	if err != nil || redirectURI == "" || !strings.EqualFold(r.Scheme, u.Scheme) || !strings.EqualFold(r.Host, u.Host) || r.Path != u.Path || u.User != nil {
		return Callback{}, ErrNotOurCallback
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Callback{}, errors.New("the address's query cannot be read: paste it again, whole")
	}
	one := func(name string) (string, error) {
		v := q[name]
		switch len(v) {
		case 0:
			return "", errors.New("the address has no " + name + ": paste the whole address the payment page sent you to")
		case 1:
			return v[0], nil
		}
		return "", errors.New("the address has " + name + " more than once: it was not made by Fintecture")
	}
	var cb Callback
	if cb.State, err = one("state"); err != nil {
		return Callback{}, err
	}
	if cb.SessionID, err = one("session_id"); err != nil {
		return Callback{}, err
	}
	if cb.Status, err = one("status"); err != nil {
		return Callback{}, err
	}
	if !validState(cb.State) {
		return Callback{}, errors.New("the address's state is not one payterm makes: it was not made for this payment")
	}
	if !printableID(cb.SessionID, maxIDLen) {
		return Callback{}, errors.New("the address's session_id is not a Fintecture session id")
	}
	if _, ok := statuses[cb.Status]; !ok {
		return Callback{}, errors.New("the address's status is not one Fintecture documents")
	}
	return cb, nil
}

// validState: the query parameter state is required and at most 512 characters (seed 004);
// payterm's own are printable ASCII.
func validState(s string) bool {
	if s == "" || len(s) > 512 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
