package interop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/payterm/payterm/internal/specs"
)

// validator sits in the client's transport and checks every XS2A request the client sends
// and every answer the bank gives against the Berlin Group 1.3.9 OpenAPI (internal/specs),
// on the client's side of the wire. Where a bank's documented variant is not in the BG file
// it is mapped, never skipped silently:
//   - SpareBank 1's and BOG's product names (not in the file's path enum) are validated as
//     sepa-credit-transfers, everything else of the request as it is;
//   - SpareBank 1's UPPER_SNAKE scaStatus is mapped back to camelCase, its ERA-PSD2 error
//     bodies are checked against seed 002's shape;
//   - the PUT authorisation bodies and answers, whose oneOf in the file matches several
//     branches for any body, are validated against their own component;
//   - SpareBank 1's GET /v1/users and the OAuth server's calls are not XS2A operations:
//     counted apart (other).
type validator struct {
	t      *testing.T
	doc    *specs.BGDoc
	base   http.RoundTripper
	prefix string
	sb1    bool

	mu        sync.Mutex
	requests  int // XS2A requests validated
	responses int // XS2A answers validated
	other     []string
	problems  []string
}

// fail records a non-conformance and reports it on the test (t is nil in the validator's
// own test, which reads problems).
func (v *validator) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	v.mu.Lock()
	v.problems = append(v.problems, msg)
	v.mu.Unlock()
	if v.t != nil {
		v.t.Error(msg)
	}
}

var bgProducts = map[string]bool{"sepa-credit-transfers": true, "instant-sepa-credit-transfers": true, "target-2-payments": true, "cross-border-credit-transfers": true}

// bgPath strips the bank's prefix and puts a BG product in place of a bank's own.
func (v *validator) bgPath(p string) (string, bool) {
	p = strings.TrimPrefix(p, v.prefix)
	if !strings.HasPrefix(p, "/v1/") || p == "/v1/users" {
		return "", false
	}
	parts := strings.SplitN(p, "/", 5)
	if len(parts) >= 4 && strings.HasSuffix(parts[2], "payments") && !bgProducts[parts[3]] {
		parts[3] = "sepa-credit-transfers"
	}
	return strings.Join(parts, "/"), true
}

var (
	amountRE   = regexp.MustCompile(`"amount":"([^"]*)"`)
	anchoredRE = regexp.MustCompile(`^-?[0-9]{1,14}(\.[0-9]{1,3})?$`)
)

func (v *validator) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	path, xs2a := v.bgPath(req.URL.Path)
	where := req.Method + " " + req.URL.Path
	if xs2a {
		uri := path
		if req.URL.RawQuery != "" {
			uri += "?" + req.URL.RawQuery
		}
		var err error
		if schema := authorisationBody(req.Method, path, body); schema != "" {
			if err = v.doc.ValidateRequestHeaders(req.Method, uri, req.Header, body); err == nil {
				err = v.doc.Validate(schema, body)
			}
		} else {
			err = v.doc.ValidateRequest(req.Method, uri, req.Header, body)
		}
		if err != nil {
			v.fail("client request %s does not conform to BG 1.3.9: %v", where, err)
		}
		// The file's amount pattern is not anchored; BG's rule is.
		if m := amountRE.FindSubmatch(body); m != nil && !anchoredRE.Match(m[1]) {
			v.fail("client request %s: amount %q fails the anchored rule", where, m[1])
		}
		v.mu.Lock()
		v.requests++
		v.mu.Unlock()
	} else {
		v.mu.Lock()
		v.other = append(v.other, where)
		v.mu.Unlock()
	}
	resp, err := v.base.RoundTrip(req)
	if err != nil || !xs2a {
		return resp, err
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	v.checkResponse(where, req.Method, path, body, resp, raw)
	return resp, nil
}

// authorisationBody names the component a non-empty authorisation body must match ("" for
// other requests and for {}).
func authorisationBody(method, path string, body []byte) string {
	if !strings.Contains(path, "authorisations") || len(body) == 0 || string(body) == "{}" || method == http.MethodGet {
		return ""
	}
	switch {
	case bytes.Contains(body, []byte(`"psuData"`)):
		return "updatePsuAuthentication"
	case bytes.Contains(body, []byte(`"authenticationMethodId"`)):
		return "selectPsuAuthenticationMethod"
	case bytes.Contains(body, []byte(`"scaAuthenticationData"`)):
		return "transactionAuthorisation"
	case bytes.Contains(body, []byte(`"confirmationCode"`)):
		return "authorisationConfirmation"
	}
	return "?"
}

var upperSnakeBack = map[string]string{"RECEIVED": "received", "PSU_IDENTIFIED": "psuIdentified", "PSU_AUTHENTICATED": "psuAuthenticated",
	"SCA_METHOD_SELECTED": "scaMethodSelected", "STARTED": "started", "UNCONFIRMED": "unconfirmed", "FINALISED": "finalised", "FAILED": "failed", "EXEMPTED": "exempted"}

func (v *validator) checkResponse(where, method, path string, reqBody []byte, resp *http.Response, raw []byte) {
	defer func() { v.mu.Lock(); v.responses++; v.mu.Unlock() }()
	if v.sb1 && resp.StatusCode >= 400 && len(raw) > 0 {
		v.checkERA(where, resp.StatusCode, raw)
		return
	}
	body := raw
	if v.sb1 && len(raw) > 0 {
		var m map[string]any
		if json.Unmarshal(raw, &m) == nil {
			if s, ok := m["scaStatus"].(string); ok {
				bg, known := upperSnakeBack[s]
				if !known {
					v.fail("%s: scaStatus %q is not SpareBank 1's spelling", where, s)
				}
				m["scaStatus"] = bg
				body, _ = json.Marshal(m)
			}
		}
	}
	if method == http.MethodPut && resp.StatusCode == 200 {
		schema := map[string]string{"updatePsuAuthentication": "updatePsuAuthenticationResponse", "selectPsuAuthenticationMethod": "selectPsuAuthenticationMethodResponse",
			"transactionAuthorisation": "scaStatusResponse", "authorisationConfirmation": "scaStatusResponse", "": "updatePsuIdenticationResponse"}[authorisationBody(method, path, reqBody)]
		if err := v.doc.Validate(schema, body); err != nil {
			v.fail("bank answer to %s does not conform to %s: %v\n%s", where, schema, err, raw)
		}
		return
	}
	if err := v.doc.ValidateResponse(method, path, resp.StatusCode, resp.Header, body); err != nil {
		v.fail("bank answer to %s (%d) does not conform to BG 1.3.9: %v\n%s", where, resp.StatusCode, err, raw)
	}
}

// checkERA checks SpareBank 1's error body against seed 002: {id, system, status, code,
// message?} (and _links on the session 401).
func (v *validator) checkERA(where string, status int, raw []byte) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		v.fail("%s: ERA error is not JSON: %s", where, raw)
		return
	}
	for k := range m {
		switch k {
		case "id", "system", "status", "code", "message", "_links":
		default:
			v.fail("%s: unexpected ERA error member %s", where, k)
		}
	}
	if id, _ := m["id"].(string); id == "" || m["system"] != "ERA-PSD2" || m["status"] != float64(status) || m["code"] == "" {
		v.fail("%s: not seed 002's ERA error shape: %s", where, raw)
	}
}

// counts returns how many XS2A requests and answers were validated and the other calls.
func (v *validator) counts() (int, int, []string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.requests, v.responses, append([]string(nil), v.other...)
}

// expectValidated fails unless at least n XS2A exchanges were validated both ways and the
// only other calls are the ones listed (by path suffix).
func (e *env) expectValidated(n int, otherSuffixes ...string) {
	e.t.Helper()
	req, resp, other := e.val.counts()
	if req < n || resp < n-e.dropped() {
		e.t.Errorf("only %d requests and %d answers validated against BG 1.3.9, want %d", req, resp, n)
	}
	for _, o := range other {
		ok := false
		for _, s := range otherSuffixes {
			ok = ok || strings.HasSuffix(o, s)
		}
		if !ok {
			e.t.Errorf("%s was not validated against BG 1.3.9", o)
		}
	}
}

// dropped counts the exchanges that got no answer.
func (e *env) dropped() int {
	n := 0
	for _, x := range e.exs {
		if x.Status == 0 {
			n++
		}
	}
	return n
}

// cannedBank answers every request with the next canned response.
type cannedBank struct{ answers []*http.Response }

func (c *cannedBank) RoundTrip(*http.Request) (*http.Response, error) {
	r := c.answers[0]
	c.answers = c.answers[1:]
	return r, nil
}

func canned(status int, header map[string]string, body string) *http.Response {
	h := http.Header{}
	for k, v := range header {
		h.Set(k, v)
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body))}
}

// TestValidatorCatches: the validator the journeys rely on does refuse what BG 1.3.9 (or seed
// 002) does not allow, on both sides, and passes a conforming exchange.
func TestValidatorCatches(t *testing.T) {
	doc := specs.RequireBerlinGroup(t)
	const body = `{"instructedAmount":{"currency":"EUR","amount":"1.50"},"debtorAccount":{"iban":"DE40100100103307118608"},"creditorName":"M","creditorAccount":{"iban":"DE02100100109307118603"}}`
	const created = `{"transactionStatus":"RCVD","paymentId":"p1","_links":{"self":{"href":"/v1/payments/sepa-credit-transfers/p1"}}}`
	createdHdr := map[string]string{"Content-Type": "application/json", "X-Request-ID": "99391c7e-ad88-49ec-a2ad-99ddcb1f7721", "Location": "https://b/v1/payments/sepa-credit-transfers/p1", "ASPSP-SCA-Approach": "REDIRECT"}
	send := func(sb1 bool, method, path, reqBody string, hdr map[string]string, answer *http.Response) []string {
		v := &validator{doc: doc, base: &cannedBank{answers: []*http.Response{answer}}, sb1: sb1}
		req, _ := http.NewRequest(method, "https://bank.example"+path, strings.NewReader(reqBody))
		for k, val := range map[string]string{"X-Request-ID": "99391c7e-ad88-49ec-a2ad-99ddcb1f7721", "PSU-IP-Address": "192.168.8.78", "Content-Type": "application/json"} {
			req.Header.Set(k, val)
		}
		for k, val := range hdr {
			if val == "" {
				req.Header.Del(k)
			} else {
				req.Header.Set(k, val)
			}
		}
		if _, err := v.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		if v.requests != 1 || v.responses != 1 {
			t.Fatalf("%s %s: %d requests, %d answers validated", method, path, v.requests, v.responses)
		}
		return v.problems
	}
	if p := send(false, "POST", "/v1/payments/sepa-credit-transfers", body, nil, canned(201, createdHdr, created)); len(p) != 0 {
		t.Fatalf("a conforming exchange: %v", p)
	}
	for name, p := range map[string][]string{
		"request without PSU-IP-Address": send(false, "POST", "/v1/payments/sepa-credit-transfers", body, map[string]string{"PSU-IP-Address": ""}, canned(201, createdHdr, created)),
		"unanchored amount":              send(false, "POST", "/v1/payments/sepa-credit-transfers", strings.Replace(body, `"1.50"`, `"x1.50"`, 1), nil, canned(201, createdHdr, created)),
		"201 without paymentId":          send(false, "POST", "/v1/payments/sepa-credit-transfers", body, nil, canned(201, createdHdr, `{"transactionStatus":"RCVD","_links":{}}`)),
		"status not ISO 20022":           send(false, "GET", "/v1/payments/sepa-credit-transfers/p1/status", "", map[string]string{"Content-Type": ""}, canned(200, createdHdr, `{"transactionStatus":"DONE"}`)),
		"PUT answer without scaStatus":   send(false, "PUT", "/v1/payments/sepa-credit-transfers/p1/authorisations/a1", `{"scaAuthenticationData":"1"}`, nil, canned(200, createdHdr, `{"_links":{}}`)),
		"sb1 scaStatus misspelt":         send(true, "GET", "/v1/payments/norwegian-domestic-credit-transfers/p1/authorisations/a1", "", map[string]string{"Content-Type": ""}, canned(200, createdHdr, `{"scaStatus":"DONE"}`)),
		"sb1 error not ERA":              send(true, "GET", "/v1/payments/norwegian-domestic-credit-transfers/p1/status", "", map[string]string{"Content-Type": ""}, canned(404, createdHdr, `{"tppMessages":[{"category":"ERROR","code":"RESOURCE_UNKNOWN"}]}`)),
	} {
		if len(p) == 0 {
			t.Errorf("%s: passed the validator", name)
		}
		t.Logf("%s: %.200s", name, p)
	}
}
