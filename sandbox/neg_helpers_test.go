package sandbox

// Helpers for the HTTP-level negative tests (neg_*_test.go): each test sends one mistake to a
// running bank and asserts the status, the error code and path the client sees, and the
// §11 rule the bank's verdict feed names as failed.

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/google/uuid"
)

type negEnv struct {
	t        *testing.T
	b        *Bank
	c        *tpp
	verdicts <-chan Verdict
}

func newNegEnv(t *testing.T, mod func(*Config)) *negEnv {
	t.Helper()
	b := newBank(t, mod)
	ch, cancel := b.SubscribeVerdicts(4096)
	t.Cleanup(cancel)
	return &negEnv{t: t, b: b, c: newTPP(t, b), verdicts: ch}
}

// verdict waits for the verdict of one interaction; the bank publishes it when the handler
// returns, which can be just after the client has read the response.
func (e *negEnv) verdict(id string) Verdict {
	e.t.Helper()
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case v, ok := <-e.verdicts:
			if !ok {
				e.t.Fatalf("verdict feed closed before interaction %s", id)
			}
			if v.InteractionID == id {
				return v
			}
		case <-timeout.C:
			e.t.Fatalf("no verdict for interaction %s", id)
		}
	}
}

// failedRule is the rule of the first failed check of the interaction (-1 when none failed).
func (e *negEnv) failedRule(h http.Header) int {
	e.t.Helper()
	v := e.verdict(h.Get("x-fapi-interaction-id"))
	for _, c := range v.Checks {
		if !c.Passed {
			return c.Rule
		}
	}
	return -1
}

func errPath(r rsResp) string {
	errs, _ := r.message()["Errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	p, _ := errs[0].(map[string]any)["Path"].(string)
	return p
}

// wantRS asserts a resource-server rejection: status, message.Errors[0].Code and Path (both
// empty for bodiless statuses) and the failed rule in the verdict.
func (e *negEnv) wantRS(r rsResp, status int, code, path string, rule int) {
	e.t.Helper()
	if r.Status != status {
		e.t.Fatalf("status %d, want %d (%s %q)", r.Status, status, r.errorCode(), errPath(r))
	}
	if code == "" {
		if len(r.Raw) != 0 {
			e.t.Fatalf("status %d must have no body, got %d bytes", status, len(r.Raw))
		}
	} else if r.errorCode() != code || errPath(r) != path {
		e.t.Fatalf("error %s at %q, want %s at %q", r.errorCode(), errPath(r), code, path)
	}
	if got := e.failedRule(r.Header); got != rule {
		e.t.Fatalf("verdict names rule %d as failed, want %d", got, rule)
	}
}

var descCode = regexp.MustCompile(`^[A-Za-z]+\.[A-Za-z0-9]+: `)

// wantOAuth asserts a /par or /token rejection: status, error, the payment-API code that
// prefixes error_description (when apiCode is set) and the failed rule.
func (e *negEnv) wantOAuth(r oauthResp, status int, oauthErr, apiCode string, rule int) {
	e.t.Helper()
	desc, _ := r.Body["error_description"].(string)
	if r.Status != status || r.err() != oauthErr {
		e.t.Fatalf("got %d %s (%s), want %d %s", r.Status, r.err(), desc, status, oauthErr)
	}
	if apiCode != "" && (len(desc) < len(apiCode)+2 || desc[:len(apiCode)+2] != apiCode+": ") {
		e.t.Fatalf("error_description %q does not start with %s", desc, apiCode)
	}
	for _, pii := range []string{testIBAN, testIBAN2, "Ivan", "England"} {
		if regexp.MustCompile(regexp.QuoteMeta(pii)).MatchString(desc) {
			e.t.Fatalf("error_description leaks PII: %q", desc)
		}
	}
	if got := e.failedRule(r.Header); got != rule {
		e.t.Fatalf("verdict names rule %d as failed, want %d", got, rule)
	}
}

// singleConsent is an Authorized consent for one creditor (testIBAN, "Ivan England").
func (e *negEnv) singleConsent() consent {
	e.t.Helper()
	return e.c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))
}

// payClaims are valid payment claims for the single consent's creditor.
func (e *negEnv) payClaims(cons consent, amount string) map[string]any {
	return e.c.paymentClaims(cons.id, amount, paymentPII(e.c, creditor(testIBAN, "Ivan England")))
}

func (e *negEnv) pay(cons consent, claims any) rsResp {
	e.t.Helper()
	return e.c.pay(cons.access, uuid.NewString(), claims)
}

// data digs message.Data out of payment claims for mutation.
func claimData(claims map[string]any) map[string]any {
	return claims["message"].(map[string]any)["Data"].(map[string]any)
}

// pushed runs PAR for pii and returns the request object and request_uri.
func (e *negEnv) pushed(pii map[string]any) (map[string]any, string) {
	e.t.Helper()
	ro := e.c.requestObject(uuid.NewString(), pii, testVerifier)
	r := e.c.par(ro)
	if r.Status != http.StatusOK {
		e.t.Fatalf("PAR: %d %v", r.Status, r.Body)
	}
	return ro, r.Body["request_uri"].(string)
}

// browserGet fetches a front-channel URL without following redirects.
func browserGet(t *testing.T, u string) *http.Response {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func (e *negEnv) exchange(code, redirect, verifier string) oauthResp {
	e.t.Helper()
	return e.c.postForm(e.c.disc.Token, e.c.tokenForm("authorization_code", "code", code, "redirect_uri", redirect, "code_verifier", verifier))
}
