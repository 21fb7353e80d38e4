package lfi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/payterm/payterm/internal/specs"
)

// copTap records the bodies of every Confirmation of Payee request and answer.
type copTap struct {
	next http.RoundTripper
	mu   sync.Mutex
	sent map[string][][]byte // by last path segment (discovery, confirmation)
	got  map[string][][]byte
}

func (c *copTap) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.Contains(r.URL.Path, CoPBasePath) {
		return c.next.RoundTrip(r)
	}
	op := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := c.next.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(answer))
	c.mu.Lock()
	c.sent[op] = append(c.sent[op], body)
	if resp.StatusCode == http.StatusOK {
		c.got[op] = append(c.got[op], answer)
	}
	c.mu.Unlock()
	return resp, nil
}

// TestCoPConformsToOfficialSchemas: what the client sends to CoP /discovery and /confirmation
// (the signed request envelopes and messages) and what the strict sandbox answers validate
// against the official uae-confirmation-of-payee-openapi.yaml.
func TestCoPConformsToOfficialSchemas(t *testing.T) {
	doc := specs.Require(t, specs.ConfirmationOfPayee)
	r := newSandboxRig(t)
	tap := &copTap{next: r.client.cfg.HTTPClient.Transport, sent: map[string][][]byte{}, got: map[string][][]byte{}}
	r.client.cfg.HTTPClient.Transport = tap
	ctx := context.Background()
	for _, n := range []CoPName{{FullName: "Fatima Al Mansoori", GivenName: "Fatima", LastName: "Al Mansoori"}, {FullName: "Fatima Al Mansouri"}, {FullName: "John Smith"}} {
		if _, err := r.client.ConfirmationOfPayee(ctx, "AE460090000000123456789", n); err != nil {
			r.explain(t)
			t.Fatal(err)
		}
	}
	if _, err := r.client.ConfirmationOfPayee(ctx, "AE590260123456789012345", CoPName{BusinessName: "Falcon Trading LLC"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.client.ConfirmationOfPayee(ctx, itIBAN, CoPName{FullName: "Nobody"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown account: %v", err)
	}
	schemas := map[string][2]string{
		"discovery":    {"DiscoverConfirmationSourceRequestBodySigned", "DiscoverConfirmationSourceResponseBodySigned"},
		"confirmation": {"NameConfirmationRequestBodySigned", "NameConfirmationResponseBodySigned"},
	}
	for op, s := range schemas {
		if len(tap.sent[op]) < 4 || len(tap.got[op]) < 4 {
			t.Fatalf("%s: %d requests, %d answers recorded", op, len(tap.sent[op]), len(tap.got[op]))
		}
		for i, body := range tap.sent[op] {
			v, err := VerifyCompact(body, &tppKey.PublicKey, VerifyOptions{Now: r.client.Now(), Issuer: r.clientID})
			if err != nil {
				t.Fatalf("%s request %d: %v", op, i, err)
			}
			if err := doc.Validate(s[0], v.Payload); err != nil {
				t.Errorf("%s request %d: %v", op, i, err)
			}
		}
		for i, body := range tap.got[op] {
			obj, err := jose.ParseSigned(string(body), []jose.SignatureAlgorithm{jose.PS256})
			if err != nil {
				t.Fatalf("%s answer %d: %v", op, i, err)
			}
			if err := doc.Validate(s[1], obj.UnsafePayloadWithoutVerification()); err != nil {
				t.Errorf("%s answer %d: %v", op, i, err)
			}
		}
	}
	// The validator is not vacuous: a request naming both kinds of holder, or with a member the
	// schema does not have, is refused.
	for _, bad := range []string{
		`{"iss":"c","exp":1,"nbf":1,"message":{"Data":{"SchemeName":"IBAN","Identification":"AE1","Name":{"FullName":"A","BusinessName":"B"}}}}`,
		`{"iss":"c","exp":1,"nbf":1,"message":{"Data":{"SchemeName":"IBAN","Identification":"AE1","Name":{"FullName":"A"},"X":1}}}`,
	} {
		if err := doc.Validate("NameConfirmationRequestBodySigned", []byte(bad)); err == nil {
			t.Errorf("schema accepted %s", bad)
		}
	}
}
