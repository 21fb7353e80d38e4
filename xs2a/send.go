package xs2a

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxResponseBytes bounds what is read from the bank (as lfi does); real answers are a few kB.
const maxResponseBytes = 1 << 20

// Reply is a decoded 2xx answer; the field of the request's operation is set.
type Reply struct {
	Op               Op
	HTTPStatus       int
	Initiation       *Initiation    // OpInitiate
	Authorisation    *Authorisation // OpStartAuthorisation, OpStartCancellationSCA, OpUpdatePSUData, OpSCAStatus
	Status           *PaymentStatus // OpTransactionStatus
	Payment          *PaymentInfo   // OpGetPayment
	Cancellation     *Cancellation  // OpCancel
	AuthorisationIDs []string       // OpListAuthorisations
	SessionRedirect  *Link          // OpEstablishSession: where the PSU logs in
	OAuthMetadata    *OAuthMetadata // OpOAuthMetadata
	Token            *Token         // OpOAuthToken
}

// Send puts exactly r's method, URL, headers and body on the wire, once, and decodes the
// answer. It never retries: a lost answer to a side-effecting request is an error matching
// ErrOutcomeUnknown, and r.Reconcile says what the core may do next.
func (c *Client) Send(ctx context.Context, r *Request) (*Reply, error) {
	if err := c.checkSendable(r); err != nil {
		return nil, err
	}
	ex := Exchange{
		Op: r.Op, Method: r.Method, URL: r.URL, RequestID: r.RequestID, Started: c.clock(),
		RequestHeaders: redactHeaders(r.Header),
		PIIHeaders:     append([]string(nil), piiHeaders...), PIIKeys: append([]string(nil), piiKeys...),
		Protection: Protection{
			Scheme: "draft-cavage-http-signatures-10", Profile: r.Signature.Profile, KeyID: r.Signature.KeyID,
			Algorithm: r.Signature.Algorithm, Headers: append([]string(nil), r.Signature.Headers...),
			SigningString: redactSigningString(r.Signature.SigningString), Digest: r.Signature.Digest,
		},
	}
	switch r.Op {
	case OpOAuthMetadata:
		ex.Protection = Protection{Scheme: "none (public metadata, TLS)"}
	case OpOAuthToken:
		ex.Protection = Protection{Scheme: "mTLS client certificate (RFC 8705 tls_client_auth)"}
	}
	secrets := sentSecrets(r)
	if r.Sensitive {
		ex.RequestBody = redacted
	} else {
		ex.RequestBody = decodeForDisplay(r.Body, nil)
	}
	reply, status, err := c.roundTrip(ctx, r, &ex, secrets)
	ex.Status = status
	ex.Duration = c.clock().Sub(ex.Started)
	if err != nil {
		ex.Err = scrubString(err.Error(), secrets)
	}
	if c.cfg.Observer != nil {
		c.cfg.Observer(ex)
	}
	return reply, err
}

func (c *Client) checkSendable(r *Request) error {
	if r == nil {
		return errors.New("xs2a send: nil request")
	}
	if r.Sensitive && bytes.Equal(r.Body, []byte(redacted)) {
		return fmt.Errorf("xs2a %s: a redacted request cannot be sent; ask the customer again", r.Op)
	}
	if r.Op == OpOAuthMetadata || r.Op == OpOAuthToken {
		// The authorization server may be another host of the bank's: the URL came from the
		// scaOAuth link and the metadata, checked when they were read.
		u, err := browserURL(r.URL)
		if err != nil || r.Op == OpOAuthToken && u.Scheme != "https" {
			return fmt.Errorf("xs2a %s: the URL is not the bank's authorization server (https); build the request again", r.Op)
		}
		return nil
	}
	u, err := url.Parse(r.URL)
	if err != nil || !strings.EqualFold(u.Scheme, c.base.Scheme) || !strings.EqualFold(u.Host, c.base.Host) {
		return fmt.Errorf("xs2a %s: the request is not for this bank's API host", r.Op)
	}
	for _, k := range secretHeaders {
		if strings.Contains(r.Header.Get(k), redacted) {
			return fmt.Errorf("xs2a %s: a redacted request cannot be sent; build it again", r.Op)
		}
	}
	if r.Header.Get("Signature") == "" || r.Header.Get("X-Request-ID") == "" {
		return fmt.Errorf("xs2a %s: the request is not signed; build it with a Build… method", r.Op)
	}
	return nil
}

func sentSecrets(r *Request) []string {
	var out []string
	if _, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok {
		out = append(out, tok)
	}
	if v := r.Header.Get("TPP-Session-ID"); v != "" {
		out = append(out, v)
	}
	if r.Sensitive && r.Op == OpOAuthToken {
		if f, err := url.ParseQuery(string(r.Body)); err == nil {
			out = append(out, f.Get("code"), f.Get("code_verifier"))
		}
	} else if r.Sensitive {
		var m map[string]any
		if decodeOne(r.Body, &m) == nil {
			var walk func(v any)
			walk = func(v any) {
				switch t := v.(type) {
				case map[string]any:
					for _, c := range t {
						walk(c)
					}
				case string:
					out = append(out, t)
				}
			}
			walk(m)
		}
	}
	return out
}

func scrubString(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	return s
}

func (c *Client) roundTrip(ctx context.Context, r *Request, ex *Exchange, secrets []string) (*Reply, int, error) {
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return nil, 0, fmt.Errorf("xs2a %s: %w", r.Op, err)
	}
	for k, v := range r.Header {
		req.Header[k] = append([]string(nil), v...)
	}
	hr, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, 0, &TransportError{Op: r.Op, SideEffects: r.SideEffects, Err: err}
	}
	defer hr.Body.Close()
	b, err := io.ReadAll(io.LimitReader(hr.Body, maxResponseBytes+1))
	if err != nil {
		return nil, hr.StatusCode, &TransportError{Op: r.Op, SideEffects: r.SideEffects, Err: fmt.Errorf("read answer: %w", err)}
	}
	ex.ResponseHeaders = redactHeaders(hr.Header)
	if len(b) > maxResponseBytes {
		return nil, hr.StatusCode, &TransportError{Op: r.Op, SideEffects: r.SideEffects, Err: fmt.Errorf("answer larger than %d bytes", maxResponseBytes)}
	}
	ex.ResponseBody = decodeForDisplay(b, secrets)
	if hr.StatusCode < 200 || hr.StatusCode > 299 {
		reply, status, err := c.nonSuccess(r, hr, b)
		if oe, ok := err.(*OAuthError); ok { // a server may quote the code it refused
			oe.Description = scrubString(oe.Description, secrets)
		}
		return reply, status, err
	}
	reply, err := c.decodeSuccess(r, hr, b)
	if err != nil {
		return nil, hr.StatusCode, &DecodeError{Op: r.Op, HTTPStatus: hr.StatusCode, SideEffects: r.SideEffects, Err: err}
	}
	return reply, hr.StatusCode, nil
}

func (c *Client) nonSuccess(r *Request, hr *http.Response, b []byte) (*Reply, int, error) {
	if r.Op == OpOAuthMetadata || r.Op == OpOAuthToken {
		e := &OAuthError{Op: r.Op, HTTPStatus: hr.StatusCode, outcomeUnknown: r.SideEffects && (hr.StatusCode >= 500 || hr.StatusCode == 408)}
		decodeOAuthError(e, b)
		if hr.StatusCode == 429 || hr.StatusCode == 503 {
			e.RetryAfter = retryAfter(hr.Header.Get("Retry-After"), c.clock())
		}
		return nil, hr.StatusCode, e
	}
	e := &BankError{Op: r.Op, HTTPStatus: hr.StatusCode, Shape: c.cfg.Profile.Errors}
	decodeError(e, hr.Header.Get("Content-Type"), b, c.base)
	if hr.StatusCode == 429 || hr.StatusCode == 503 {
		e.RetryAfter = retryAfter(hr.Header.Get("Retry-After"), c.clock())
	}
	e.outcomeUnknown = r.SideEffects && (hr.StatusCode >= 500 || hr.StatusCode == 408)
	// SpareBank 1's session endpoint answers 401 with the login redirect: that is its result.
	if r.Op == OpEstablishSession && hr.StatusCode == 401 {
		if l, ok := e.Links["scaRedirect"]; ok {
			return &Reply{Op: r.Op, HTTPStatus: hr.StatusCode, SessionRedirect: &l}, hr.StatusCode, nil
		}
	}
	return nil, hr.StatusCode, e
}

// expected lists the success statuses of each operation.
var expected = map[Op][]int{
	OpInitiate: {201}, OpStartAuthorisation: {201}, OpStartCancellationSCA: {201},
	OpUpdatePSUData: {200}, OpSCAStatus: {200}, OpTransactionStatus: {200}, OpGetPayment: {200},
	OpListAuthorisations: {200}, OpCancel: {202, 204}, OpEstablishSession: {200},
	OpOAuthMetadata: {200}, OpOAuthToken: {200},
}

func (c *Client) decodeSuccess(r *Request, hr *http.Response, b []byte) (*Reply, error) {
	ok := false
	for _, s := range expected[r.Op] {
		ok = ok || s == hr.StatusCode
	}
	if !ok {
		return nil, fmt.Errorf("HTTP %d is not a success status of this operation", hr.StatusCode)
	}
	reply := &Reply{Op: r.Op, HTTPStatus: hr.StatusCode}
	if hr.StatusCode == 204 {
		if len(b) != 0 {
			return nil, errors.New("a 204 answer with a body")
		}
		reply.Cancellation = &Cancellation{Cancelled: true}
		return reply, nil
	}
	if mt, _, err := mime.ParseMediaType(hr.Header.Get("Content-Type")); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil, errors.New("the answer is not application/json")
	}
	approach := hr.Header.Get("ASPSP-SCA-Approach")
	var err error
	switch r.Op {
	case OpInitiate:
		reply.Initiation, err = decodeInitiation(b, c.base, approach, hr.Header.Get("Location"))
	case OpStartAuthorisation, OpStartCancellationSCA:
		reply.Authorisation, err = decodeAuthorisation(b, c.base, approach, true)
	case OpUpdatePSUData, OpSCAStatus:
		reply.Authorisation, err = decodeAuthorisation(b, c.base, approach, false)
	case OpTransactionStatus:
		reply.Status, err = decodeStatus(b, c.base)
	case OpGetPayment:
		reply.Payment, err = decodePayment(b)
	case OpCancel:
		reply.Cancellation, err = decodeCancellation(b, c.base)
	case OpListAuthorisations:
		reply.AuthorisationIDs, err = decodeAuthorisationList(b)
	case OpOAuthMetadata:
		reply.OAuthMetadata, err = decodeOAuthMetadata(b, r.URL)
	case OpOAuthToken:
		reply.Token, err = decodeToken(b, r.expectScope)
	case OpEstablishSession:
		var body scaBody
		if err = decodeOne(b, &body); err == nil {
			var links Links
			if links, err = decodeLinks(body.Links, c.base); err == nil {
				l, ok := links["scaRedirect"]
				if !ok {
					return nil, errors.New("no scaRedirect link to log in with")
				}
				reply.SessionRedirect = &l
			}
		}
	default:
		return nil, fmt.Errorf("unknown operation %q", r.Op)
	}
	if err != nil {
		return nil, err
	}
	return reply, nil
}

// retryAfter reads delta-seconds or an HTTP date, capped at an hour.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return min(time.Duration(n)*time.Second, time.Hour)
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), time.Hour)
	}
	return 0
}
