package lfi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// copStub serves CoP discovery and confirmation on the stub bank, naming the stub itself as the
// confirming LFI; it records the scope of each token request and the signed request messages.
type copStub struct {
	b        *stubLFI
	mu       sync.Mutex
	scopes   []string
	requests []map[string]any // the verified `message` of each CoP request
	answer   func(w http.ResponseWriter, msg map[string]any)
}

func newCoPStub(t *testing.T) (*copStub, *Client) {
	t.Helper()
	b := newStubLFI(t)
	s := &copStub{b: b}
	b.route("POST", "/as/token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		s.mu.Lock()
		s.scopes = append(s.scopes, r.PostForm.Get("scope"))
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"cop-token","token_type":"Bearer","expires_in":600}`)
	})
	readMsg := func(t *testing.T, r *http.Request) map[string]any {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Content-Type") != "application/jwt" || r.Header.Get("Authorization") != "Bearer cop-token" {
			t.Errorf("CoP request headers: content type %q, authorization %q", r.Header.Get("Content-Type"), r.Header.Get("Authorization"))
		}
		obj, err := jose.ParseSigned(string(body), []jose.SignatureAlgorithm{jose.PS256})
		if err != nil {
			t.Fatalf("CoP request is not a PS256 JWS: %v", err)
		}
		payload, err := obj.Verify(&tppKey.PublicKey)
		if err != nil {
			t.Fatalf("CoP request signature: %v", err)
		}
		var claims map[string]any
		if err := json.Unmarshal(payload, &claims); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"iss", "exp", "nbf", "message"} {
			if _, ok := claims[k]; !ok {
				t.Errorf("CoP request lacks %s", k)
			}
		}
		msg, _ := claims["message"].(map[string]any)
		s.mu.Lock()
		s.requests = append(s.requests, msg)
		s.mu.Unlock()
		return msg
	}
	b.route("POST", CoPBasePath+"/discovery", func(w http.ResponseWriter, r *http.Request) {
		readMsg(t, r)
		b.writeJWT(w, http.StatusOK, map[string]any{"Data": map[string]any{
			"DiscoveryEndpointUrl": b.srv.URL + "/.well-known/openid-configuration",
			"ResourceServerUrl":    b.srv.URL + "/lfi-cop" + CoPBasePath},
			"Links": map[string]any{"Self": b.srv.URL + CoPBasePath + "/discovery"}, "Meta": map[string]any{}})
	})
	b.route("POST", "/lfi-cop"+CoPBasePath+"/confirmation", func(w http.ResponseWriter, r *http.Request) {
		msg := readMsg(t, r)
		s.answer(w, msg)
	})
	rec := &recorder{}
	return s, newStubClient(t, b, rec, nil)
}

func (s *copStub) confirmation(match, masked string) func(http.ResponseWriter, map[string]any) {
	return func(w http.ResponseWriter, _ map[string]any) {
		d := map[string]any{"NameMatchIndicator": match}
		if masked != "" {
			d["MaskedName"] = masked
		}
		s.b.writeJWT(w, http.StatusOK, map[string]any{"Data": d, "Links": map[string]any{"Self": "https://x/confirmation"}, "Meta": map[string]any{}})
	}
}

func TestConfirmationOfPayeeAnswers(t *testing.T) {
	s, c := newCoPStub(t)
	for _, tc := range []struct {
		match, masked string
	}{{"ConfirmationOfPayee.Yes", ""}, {"ConfirmationOfPayee.Partial", "Fat**a Al M*****i"}, {"ConfirmationOfPayee.No", ""}} {
		s.answer = s.confirmation(tc.match, tc.masked)
		res, err := c.ConfirmationOfPayee(context.Background(), "AE070331234567890123456", CoPName{FullName: "Fatima Al Mansoori"})
		if err != nil {
			t.Fatalf("%s: %v", tc.match, err)
		}
		if string(res.Match) != tc.match || res.MaskedName != tc.masked || res.OptedOut {
			t.Errorf("result = %+v, want %s %q", res, tc.match, tc.masked)
		}
		if strings.Count(res.JWS, ".") != 2 {
			t.Errorf("JWS %q is not the compact answer", res.JWS)
		}
		// The JWS is the bank's answer: it verifies with the bank's key and names the match.
		obj, err := jose.ParseSigned(res.JWS, []jose.SignatureAlgorithm{jose.PS256})
		if err != nil {
			t.Fatal(err)
		}
		if p, err := obj.Verify(&bankSig.PublicKey); err != nil || !strings.Contains(string(p), tc.match) {
			t.Errorf("kept JWS does not verify or lacks the answer: %v", err)
		}
	}
	for _, sc := range s.scopes {
		if sc != CoPScope {
			t.Errorf("token scope %q, want %q", sc, CoPScope)
		}
	}
	if len(s.scopes) != 1 {
		t.Errorf("%d token requests, want 1 (cached)", len(s.scopes))
	}
	disc, _ := json.Marshal(s.requests[0])
	if string(disc) != `{"Data":{"Identification":"AE070331234567890123456","SchemeName":"IBAN"}}` {
		t.Errorf("discovery message = %s", disc)
	}
	conf, _ := json.Marshal(s.requests[1])
	if string(conf) != `{"Data":{"Identification":"AE070331234567890123456","Name":{"FullName":"Fatima Al Mansoori"},"SchemeName":"IBAN"}}` {
		t.Errorf("confirmation message = %s", conf)
	}
}

func TestConfirmationOfPayeeBusinessNameAndOptOutAndNotFound(t *testing.T) {
	s, c := newCoPStub(t)
	s.answer = func(w http.ResponseWriter, _ map[string]any) { w.WriteHeader(http.StatusNoContent) }
	res, err := c.ConfirmationOfPayee(context.Background(), "AE070331234567890123456", CoPName{BusinessName: "Falcon Trading LLC"})
	if err != nil || !res.OptedOut || res.Match != "" || res.JWS != "" {
		t.Fatalf("opt-out: %+v, %v", res, err)
	}
	if n, _ := s.requests[1]["Data"].(map[string]any)["Name"].(map[string]any); n["BusinessName"] != "Falcon Trading LLC" {
		t.Errorf("business name sent as %v", s.requests[1])
	}
	s.answer = func(w http.ResponseWriter, _ map[string]any) {
		w.Header().Set("X-Fapi-Interaction-Id", "x")
		w.WriteHeader(http.StatusNotFound)
	}
	if _, err := c.ConfirmationOfPayee(context.Background(), "AE070331234567890123456", CoPName{FullName: "A B"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("404: %v, want ErrNotFound", err)
	}
}

func TestConfirmationOfPayeeUntrustedAnswers(t *testing.T) {
	s, c := newCoPStub(t)
	for name, answer := range map[string]func(http.ResponseWriter, map[string]any){
		"unknown indicator": s.confirmation("ConfirmationOfPayee.Maybe", ""),
		"escape in name":    s.confirmation("ConfirmationOfPayee.Partial", "Fat\x1b[2Jima"),
		"bidi in name":      s.confirmation("ConfirmationOfPayee.Partial", "Fat\u202eima"),
		"long name":         s.confirmation("ConfirmationOfPayee.Partial", strings.Repeat("a", 141)),
		"wrong key": func(w http.ResponseWriter, _ map[string]any) {
			w.Header().Set("Content-Type", "application/jwt")
			_, _ = io.WriteString(w, signWith(t, x, s.b.sigKid, map[string]any{"iss": s.b.issuer, "exp": testNow.Unix() + 60,
				"message": map[string]any{"Data": map[string]any{"NameMatchIndicator": "ConfirmationOfPayee.Yes"}, "Links": map[string]any{"Self": "s"}}}))
		},
		"unsigned": func(w http.ResponseWriter, _ map[string]any) {
			_, _ = io.WriteString(w, `{"Data":{"NameMatchIndicator":"ConfirmationOfPayee.Yes"}}`)
		},
	} {
		s.answer = answer
		res, err := c.ConfirmationOfPayee(context.Background(), "AE070331234567890123456", CoPName{FullName: "Fatima"})
		if !errors.Is(err, ErrUnverifiable) {
			t.Errorf("%s: %+v, %v; want ErrUnverifiable", name, res, err)
		}
	}
}

func TestConfirmationOfPayeeRefusesBadInput(t *testing.T) {
	_, c := newCoPStub(t)
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"iban with space": func() error { _, err := c.DiscoverCoP(ctx, "AE07 0331"); return err },
		"lower-case iban": func() error { _, err := c.DiscoverCoP(ctx, "ae070331234567890123456"); return err },
		"no name": func() error {
			_, err := c.ConfirmPayee(ctx, &CoPSource{}, "AE070331234567890123456", CoPName{})
			return err
		},
		"both names": func() error {
			_, err := c.ConfirmPayee(ctx, &CoPSource{}, "AE070331234567890123456", CoPName{FullName: "A", BusinessName: "B"})
			return err
		},
		"control in name": func() error {
			_, err := c.ConfirmPayee(ctx, &CoPSource{}, "AE070331234567890123456", CoPName{FullName: "A\x07"})
			return err
		},
	} {
		if err := call(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCoPDiscoveryRefusesUntrustedURLs(t *testing.T) {
	for name, data := range map[string]map[string]any{
		"http":       {"DiscoveryEndpointUrl": "http://lfi/.well-known/openid-configuration", "ResourceServerUrl": "https://lfi/cop"},
		"missing":    {"DiscoveryEndpointUrl": "https://lfi/.well-known/openid-configuration"},
		"control":    {"DiscoveryEndpointUrl": "https://lfi/.well-known/openid-configuration", "ResourceServerUrl": "https://lfi/\x1b[2J"},
		"credential": {"DiscoveryEndpointUrl": "https://u:p@lfi/.well-known/openid-configuration", "ResourceServerUrl": "https://lfi/cop"},
		"query":      {"DiscoveryEndpointUrl": "https://lfi/.well-known/openid-configuration", "ResourceServerUrl": "https://lfi/cop?x=1"},
		"too long":   {"DiscoveryEndpointUrl": "https://lfi/.well-known/openid-configuration", "ResourceServerUrl": "https://lfi/" + strings.Repeat("a", 500)},
	} {
		msg, _ := json.Marshal(map[string]any{"Data": data, "Links": map[string]any{"Self": "https://hub/discovery"}})
		if src, err := decodeCoPDiscovery(msg); err == nil {
			t.Errorf("%s: accepted %+v", name, src)
		}
	}
}

func TestCoPTargetIsAnotherLFI(t *testing.T) {
	_, c := newCoPStub(t)
	other := &CoPSource{DiscoveryEndpointURL: "https://lfi2.example/.well-known/openid-configuration", ResourceServerURL: "https://rs.lfi2.example/cop"}
	tc, err := c.copTarget(other)
	if err != nil {
		t.Fatal(err)
	}
	if tc == c || tc.Issuer() != "https://lfi2.example" || tc.ClientID() != c.ClientID() {
		t.Errorf("target client: issuer %q", tc.Issuer())
	}
	if again, _ := c.copTarget(other); again != tc {
		t.Error("target client not kept")
	}
	if _, err := c.copTarget(&CoPSource{DiscoveryEndpointURL: "https://lfi2.example/openid", ResourceServerURL: "https://rs"}); err == nil {
		t.Error("a discovery URL that is not a well-known document was accepted")
	}
}

func TestCoPBaseURLConfig(t *testing.T) {
	b := newStubLFI(t)
	cfg := Config{DiscoveryURL: b.srv.URL + "/.well-known/openid-configuration", Issuer: b.issuer,
		ResourceBaseURL: b.srv.URL + "/open-finance/payment/v2.1", ClientID: "client-1", Signer: testSigner(t), HTTPClient: b.srv.Client()}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.copBase(); got != b.srv.URL+CoPBasePath {
		t.Errorf("default CoP base = %q", got)
	}
	for _, bad := range []string{"http://hub/cop", "https://hub/cop?x=1", "https://u:p@hub/cop", "hub"} {
		cfg.CoPBaseURL = bad
		if _, err := New(cfg); err == nil {
			t.Errorf("CoPBaseURL %q accepted", bad)
		}
	}
	cfg.CoPBaseURL = "https://hub.example/cop/"
	c, err = New(cfg)
	if err != nil || c.copBase() != "https://hub.example/cop" {
		t.Errorf("configured CoP base: %v %q", err, c.copBase())
	}
}
