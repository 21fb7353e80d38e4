package xs2aprov

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/payterm/payterm/internal/httpsig"
	"github.com/payterm/payterm/xs2a"
)

// stored is the serialisation of the initiation request the core keeps (provider.Request.Bytes):
// the exact method, URL, headers and body bytes xs2a built and signed, so Send puts the same
// bytes on the wire. Two headers are left out:
//   - SpareBank 1's TPP-Session-ID, a bearer credential that belongs in the keystore, not the
//     ledger. It is not signed (the signature covers date, digest, x-request-id, psu-id,
//     psu-corporate-id, tpp-redirect-uri), so Send adds the live session's id back without
//     changing a signed byte.
//   - PSU-ID: at SpareBank 1 the payer's national identity number, elsewhere their login id at
//     the bank — personal data the ledger does not need (it is in the session, or the
//     configuration). It is signed, so Send puts the current one back and checks the stored
//     signature still verifies over it (the same payer); otherwise the request is built again.
//     Its line in the stored signing string (the inspector's copy) is blanked the same way.
type stored struct {
	V         int                 `json:"v"`
	Op        xs2a.Op             `json:"op"`
	Method    string              `json:"method"`
	URL       string              `json:"url"`
	Header    map[string][]string `json:"header"`
	Body      []byte              `json:"body"`
	RequestID string              `json:"requestId"`
	Reconcile xs2a.Reconcile      `json:"reconcile"`
	// Resend: a BuildResend after a lost answer (SpareBank 1): a refusal of it means the bank
	// already has the payment, not that it refused it.
	Resend bool `json:"resend,omitempty"`
	// PSUWithheld: the request carried a PSU-ID, left out here (Send puts it back).
	PSUWithheld bool           `json:"psuWithheld,omitempty"`
	Signature   httpsig.Result `json:"signature"`
}

// psuLine is the stored signing string's psu-id line, its value left out.
const psuLine = "psu-id: \u2039withheld\u203a"

const (
	storedVersion = 1
	maxStored     = 256 << 10
)

// withheld are the headers never stored (credentials).
var withheld = []string{"Tpp-Session-Id", "Authorization"}

func encodeStored(r *xs2a.Request, resend bool) ([]byte, error) {
	h := r.Header.Clone()
	for _, k := range withheld {
		h.Del(k)
	}
	sig := r.Signature
	psu := h.Get("PSU-ID") != ""
	if psu {
		h.Del("PSU-ID")
		sig.Headers = append([]string(nil), sig.Headers...)
		lines := strings.Split(sig.SigningString, "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, "psu-id: ") {
				lines[i] = psuLine
			}
		}
		sig.SigningString = strings.Join(lines, "\n")
	}
	return json.Marshal(stored{V: storedVersion, Op: r.Op, Method: r.Method, URL: r.URL, Header: h, Body: r.Body,
		RequestID: r.RequestID, Reconcile: r.Reconcile, Resend: resend, PSUWithheld: psu, Signature: sig})
}

// restorePSU puts the payer's current PSU-ID back on a decoded request whose stored form left
// it out, and reports whether the stored signature verifies over it (the same payer).
func restorePSU(r *xs2a.Request, psuID string, pub any) bool {
	if psuID == "" {
		return false
	}
	r.Header.Set("PSU-ID", psuID)
	u, err := url.Parse(r.URL)
	if err != nil {
		return false
	}
	if _, err := httpsig.Verify(r.Method, u.RequestURI(), r.Header, r.Body, pub); err != nil {
		return false
	}
	r.Signature.SigningString = strings.ReplaceAll(r.Signature.SigningString, psuLine, "psu-id: "+psuID)
	return true
}

// decodeStored reads what encodeStored wrote, refusing anything else: the core hands the bytes
// back, but they come from disk.
func decodeStored(b []byte) (*xs2a.Request, bool, error) {
	r, resend, _, err := decodeStoredPSU(b)
	return r, resend, err
}

// decodeStoredPSU is decodeStored, also reporting whether the PSU-ID was left out.
func decodeStoredPSU(b []byte) (*xs2a.Request, bool, bool, error) {
	bad := func(why string) (*xs2a.Request, bool, bool, error) {
		return nil, false, false, fmt.Errorf("the stored request is unreadable (%s): pay again after checking your bank", why)
	}
	if len(b) == 0 || len(b) > maxStored {
		return bad("empty or too large")
	}
	var s stored
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return bad("not the wallet's JSON")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return bad("trailing data")
	}
	if s.V != storedVersion || s.Op != xs2a.OpInitiate || s.Method != http.MethodPost {
		return bad("not a payment initiation")
	}
	if s.Reconcile != xs2a.ReconcileAskUser && s.Reconcile != xs2a.ReconcileResendRefused {
		return bad("unknown reconcile hint")
	}
	u, err := url.Parse(s.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" {
		return bad("the URL is not an https URL")
	}
	h := http.Header{}
	for k, vs := range s.Header {
		if len(vs) != 1 || !printable(k, 64) || !printable(vs[0], 16<<10) {
			return bad("a header is malformed")
		}
		h.Set(k, vs[0])
	}
	for _, k := range withheld {
		if h.Get(k) != "" {
			return bad("it holds a credential")
		}
	}
	if s.PSUWithheld && h.Get("PSU-ID") != "" {
		return bad("it holds the payer's PSU-ID")
	}
	if h.Get("X-Request-ID") != s.RequestID || s.RequestID == "" || h.Get("Date") == "" || h.Get("Signature") == "" {
		return bad("X-Request-ID, Date or Signature missing")
	}
	if _, err := http.ParseTime(h.Get("Date")); err != nil {
		return bad("the Date is malformed")
	}
	return &xs2a.Request{Op: s.Op, Method: s.Method, URL: s.URL, Header: h, Body: s.Body, RequestID: s.RequestID,
		SideEffects: true, Reconcile: s.Reconcile, Signature: s.Signature}, s.Resend, s.PSUWithheld, nil
}

// dateOf is the request's Date header.
func dateOf(r *xs2a.Request) time.Time {
	t, _ := http.ParseTime(r.Header.Get("Date"))
	return t
}

// printable: printable ASCII (a header name or value), at most max bytes.
func printable(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return !strings.ContainsAny(s, "\r\n")
}
