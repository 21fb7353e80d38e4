package lfi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxResponseBytes bounds what we read from the bank; real responses are a few kB.
const maxResponseBytes = 1 << 20

// call describes one logical request; the body is rebuilt per attempt so a client
// assertion (fresh jti) is never replayed, while a payment returns the same bytes each time.
type call struct {
	op          string
	method      string
	url         string
	header      http.Header
	body        func() (attemptBody, error) // nil for no body
	idempotent  bool                        // 5xx and network errors may be retried
	sideEffects bool                        // a lost response leaves the outcome unknown
}

type attemptBody struct {
	bytes       []byte
	contentType string
	form        url.Values // for the Exchange; redacted before display
	sent        []JOSEPart
}

// response is the final attempt's answer handed to the call's handler.
type response struct {
	status        int
	header        http.Header
	body          []byte
	interactionID string
	ex            *Exchange
	secrets       []string  // credentials sent in this attempt, scrubbed from anything shown
	holdUntil     time.Time // the end of the wait a 429/503 Retry-After asked for, or zero
}

// do runs cl with bounded retries and calls handle on the final response. Each attempt is
// reported to the Observer after handle has run (so the Exchange shows verification). Before
// each attempt it sits out what is left of the bank's last Retry-After (wait.go).
func (c *Client) do(ctx context.Context, cl call, handle func(*response) error) error {
	maxWait := c.maxWait(ctx)
	var honoured time.Time // the Retry-After deadline this call has already sat out
	var lastErr error
	for attempt := 1; attempt <= c.cfg.MaxAttempts; attempt++ {
		h, err := c.awaitHoldOff(ctx, cl.op, maxWait, honoured)
		if err != nil {
			if lastErr != nil && !errors.Is(lastErr, ErrRateLimited) {
				// An earlier attempt of this call may have reached the bank: that outcome stands.
				return lastErr
			}
			return err
		}
		honoured = h
		resp, wait, err := c.attempt(ctx, cl, attempt)
		last := attempt == c.cfg.MaxAttempts
		if be, ok := err.(buildError); ok { // nothing was sent: not a network outcome
			resp.ex.Err = be.Error()
			c.emit(resp.ex)
			return fmt.Errorf("%s: %w", cl.op, be.err)
		}
		rateLimited := false
		switch {
		case err != nil: // no HTTP response
			resp.ex.Err = err.Error()
			scrubExchange(resp.ex, resp.secrets)
			c.emit(resp.ex)
			te := &TransportError{Op: cl.op, InteractionID: resp.interactionID, Attempts: attempt, SideEffects: cl.sideEffects, Err: err}
			if ctx.Err() != nil || !cl.idempotent || last {
				return te
			}
			lastErr = te
		case resp.status == http.StatusTooManyRequests && !last && wait <= maxWait:
			// 429 means the bank did not process the request, so any call may be retried.
			resp.ex.Err = "rate limited, retrying"
			scrubExchange(resp.ex, resp.secrets)
			c.emit(resp.ex)
			rateLimited = true
		case resp.status >= 500 && cl.idempotent && !last && wait <= maxWait:
			resp.ex.Err = fmt.Sprintf("HTTP %d, retrying idempotent call", resp.status)
			scrubExchange(resp.ex, resp.secrets)
			c.emit(resp.ex)
			// A 5xx may have had effects: if the wait below is cut short, that is the outcome.
			lastErr = &BankError{Op: cl.op, HTTPStatus: resp.status, InteractionID: resp.interactionID,
				RetryAfter: wait, outcomeUnknown: cl.sideEffects}
		default:
			herr := handle(resp)
			var be *BankError
			if lastErr != nil && errors.Is(lastErr, ErrOutcomeUnknown) && errors.As(herr, &be) && be.HTTPStatus == http.StatusTooManyRequests {
				// This attempt processed nothing, but an earlier one may have.
				be.outcomeUnknown = true
			}
			if herr != nil {
				resp.ex.Err = herr.Error()
			}
			scrubExchange(resp.ex, resp.secrets)
			c.emit(resp.ex)
			return herr
		}
		until := resp.holdUntil
		if wait > 0 && until.IsZero() {
			until = c.clock().Add(wait)
		}
		if wait > 0 {
			notifyWait(ctx, Wait{Op: cl.op, Status: resp.status, For: wait, Until: until})
		} else {
			wait = backoff(attempt)
		}
		if err := c.sleep(ctx, wait); err != nil {
			if rateLimited && lastErr == nil {
				// The 429 said nothing was processed, and nothing was sent since.
				return &WaitError{Op: cl.op, Until: until, RetryAfter: wait, Err: err}
			}
			if lastErr != nil {
				return lastErr
			}
			return &TransportError{Op: cl.op, InteractionID: resp.interactionID, Attempts: attempt, SideEffects: cl.sideEffects, Err: err}
		}
		if !until.IsZero() {
			// This call sat the bank's wait out: its next attempt goes now.
			c.hold.done(until)
			honoured = until
		}
	}
	return lastErr // unreachable with MaxAttempts ≥ 1
}

func backoff(attempt int) time.Duration {
	d := 250 * time.Millisecond << (attempt - 1)
	if d > 4*time.Second || d <= 0 {
		d = 4 * time.Second
	}
	return d
}

// attempt sends one HTTP request. It returns the Retry-After wait (0 if none) and an error
// only when no response arrived; resp.ex is always set.
func (c *Client) attempt(ctx context.Context, cl call, n int) (*response, time.Duration, error) {
	started := c.clock()
	ex := &Exchange{Op: cl.op, Attempt: n, Method: cl.method, URL: cl.url, Started: started, PIIHeaders: append([]string(nil), piiHeaders...)}
	resp := &response{ex: ex}
	iid, err := c.NewUUID()
	if err != nil {
		return resp, 0, buildError{err}
	}
	resp.interactionID, ex.InteractionID = iid, iid

	var ab attemptBody
	if cl.body != nil {
		if ab, err = cl.body(); err != nil {
			return resp, 0, buildError{err}
		}
	}
	var rdr io.Reader
	if ab.bytes != nil {
		rdr = bytes.NewReader(ab.bytes)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, cl.url, rdr)
	if err != nil {
		return resp, 0, buildError{err}
	}
	for k, v := range cl.header {
		req.Header[k] = append([]string(nil), v...)
	}
	if ab.contentType != "" {
		req.Header.Set("Content-Type", ab.contentType)
	}
	req.Header.Set("x-fapi-interaction-id", iid)
	resp.secrets = sentSecrets(req.Header, ab.form)
	ex.RequestHeaders = redactHeaders(req.Header)
	if ab.form != nil {
		ex.Form = redactForm(ab.form, secretFormKeys, redacted)
	}
	ex.Sent = ab.sent

	hr, err := c.cfg.HTTPClient.Do(req)
	ex.Duration = c.clock().Sub(started)
	if err != nil {
		return resp, 0, err
	}
	defer hr.Body.Close()
	body, err := io.ReadAll(io.LimitReader(hr.Body, maxResponseBytes+1))
	if err != nil {
		return resp, 0, fmt.Errorf("read response: %w", err)
	}
	if len(body) > maxResponseBytes {
		return resp, 0, fmt.Errorf("response larger than %d bytes", maxResponseBytes)
	}
	resp.status, resp.header, resp.body = hr.StatusCode, hr.Header, body
	ex.Status = hr.StatusCode
	ex.ResponseHeaders = redactHeaders(hr.Header)
	wait := retryAfter(hr.Header, c.clock())
	if wait > 0 && (hr.StatusCode == http.StatusTooManyRequests || hr.StatusCode == http.StatusServiceUnavailable) {
		// Every call waits for it, not only this one (wait.go).
		resp.holdUntil = c.clock().Add(wait)
		c.hold.extend(resp.holdUntil)
	}
	return resp, wait, nil
}

func (c *Client) emit(ex *Exchange) {
	if c.observe != nil && ex != nil {
		c.observe(*ex)
	}
}

// sentSecrets lists the credentials in a request, so that a server echoing one back (in an
// error description, say) cannot make us display or log it.
func sentSecrets(h http.Header, form url.Values) []string {
	var out []string
	if _, tok, ok := strings.Cut(h.Get("Authorization"), " "); ok {
		out = append(out, tok)
	}
	for _, k := range secretFormKeys {
		if v := form.Get(k); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// scrub replaces every occurrence of a sent secret in s.
func scrub(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 6 && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	return s
}

// scrubExchange removes sent secrets from everything the server controlled.
func scrubExchange(ex *Exchange, secrets []string) {
	if len(secrets) == 0 {
		return
	}
	for k, vs := range ex.ResponseHeaders {
		for i := range vs {
			vs[i] = scrub(vs[i], secrets)
		}
		ex.ResponseHeaders[k] = vs
	}
	scrubTree(ex.ResponseJSON, secrets)
	for _, p := range ex.Received {
		scrubTree(p.Header, secrets)
		scrubTree(p.Claims, secrets)
	}
	ex.Err = scrub(ex.Err, secrets)
}

func scrubTree(v any, secrets []string) {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			if s, ok := c.(string); ok {
				t[k] = scrub(s, secrets)
				continue
			}
			scrubTree(c, secrets)
		}
	case []any:
		for i, c := range t {
			if s, ok := c.(string); ok {
				t[i] = scrub(s, secrets)
				continue
			}
			scrubTree(c, secrets)
		}
	}
}

// retryAfter parses Retry-After as delta-seconds or an HTTP date; 0 when absent or invalid.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > 86400 {
			n = 86400
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, 24*time.Hour)
		}
	}
	return 0
}

// buildError means the request could not be built, so nothing reached the network.
type buildError struct{ err error }

func (e buildError) Error() string { return "build request: " + e.err.Error() }

// errEmptyBody is returned when a response that must carry a body has none.
var errEmptyBody = errors.New("empty response body")
