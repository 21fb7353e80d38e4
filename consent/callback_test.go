package consent

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/payterm/payterm/internal/safetext"
)

const (
	cbRedirect = "https://wallet.example/cb"
	cbState    = "9b2d1a8c-4f6e-4a3b-8c1d-2e3f4a5b6c7d"
	cbIssuer   = "https://auth1.bank.example"
	cbCode     = "code-SECRET-123"
)

var cbCheck = CallbackCheck{RedirectURI: cbRedirect, State: cbState, Issuer: cbIssuer}

func cbURL(params ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		q.Add(params[i], params[i+1])
	}
	return cbRedirect + "?" + q.Encode()
}

func TestParseCallbackURLAccepts(t *testing.T) {
	for _, raw := range []string{
		cbURL("code", cbCode, "state", cbState, "iss", cbIssuer),
		"  " + cbURL("code", cbCode, "state", cbState, "iss", cbIssuer) + "\n", // pasted with whitespace
		"HTTPS://WALLET.EXAMPLE/cb?" + url.Values{"code": {cbCode}, "state": {cbState}, "iss": {cbIssuer}}.Encode(),
	} {
		code, err := ParseCallbackURL(raw, cbCheck)
		if err != nil {
			t.Fatalf("ParseCallbackURL: %v", err)
		}
		if code.Reveal() != cbCode {
			t.Fatalf("code = %q", code.Reveal())
		}
		if strings.Contains(code.String(), cbCode) || strings.Contains(code.GoString(), cbCode) {
			t.Fatal("code leaks through String")
		}
	}
}

// Every attack from FAPI 2.0 conformance (invalid/removed iss, invalid/missing state) plus
// error responses, missing codes and malformed URLs.
func TestParseCallbackURLRejects(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want error
	}{
		{"invalid-authorization-response-iss", cbURL("code", cbCode, "state", cbState, "iss", "https://evil.example"), ErrIssuerMismatch},
		{"iss with trailing slash", cbURL("code", cbCode, "state", cbState, "iss", cbIssuer+"/"), ErrIssuerMismatch},
		{"iss different case", cbURL("code", cbCode, "state", cbState, "iss", strings.ToUpper(cbIssuer)), ErrIssuerMismatch},
		{"remove-authorization-response-iss", cbURL("code", cbCode, "state", cbState), ErrIssuerMissing},
		{"empty iss", cbURL("code", cbCode, "state", cbState, "iss", ""), ErrIssuerMissing},
		{"invalid state", cbURL("code", cbCode, "state", "0b7e4ac6-5b1d-4b80-9c3c-1f0f6e2a9d11", "iss", cbIssuer), ErrStateMismatch},
		{"missing state", cbURL("code", cbCode, "iss", cbIssuer), ErrStateMissing},
		{"empty state", cbURL("code", cbCode, "state", "", "iss", cbIssuer), ErrStateMissing},
		{"duplicate state", cbURL("code", cbCode, "state", "x", "state", cbState, "iss", cbIssuer), ErrDuplicateParam},
		{"duplicate code", cbURL("code", cbCode, "code", "other", "state", cbState, "iss", cbIssuer), ErrDuplicateParam},
		{"duplicate iss", cbURL("code", cbCode, "state", cbState, "iss", cbIssuer, "iss", "https://evil.example"), ErrDuplicateParam},
		{"access denied", cbURL("error", "access_denied", "error_description", "User declined", "state", cbState, "iss", cbIssuer), ErrAccessDenied},
		{"server error", cbURL("error", "server_error", "state", cbState, "iss", cbIssuer), ErrAuthorizationBad},
		{"error with code", cbURL("error", "access_denied", "code", cbCode, "state", cbState, "iss", cbIssuer), ErrAccessDenied},
		{"error with wrong iss", cbURL("error", "access_denied", "state", cbState, "iss", "https://evil.example"), ErrIssuerMismatch},
		{"missing code", cbURL("state", cbState, "iss", cbIssuer), ErrCodeMissing},
		{"empty code", cbURL("code", "", "state", cbState, "iss", cbIssuer), ErrCodeMissing},
		{"other host", "https://evil.example/cb?" + url.Values{"code": {cbCode}, "state": {cbState}, "iss": {cbIssuer}}.Encode(), ErrCallbackURL},
		{"other path", "https://wallet.example/other?" + url.Values{"code": {cbCode}, "state": {cbState}, "iss": {cbIssuer}}.Encode(), ErrCallbackURL},
		{"http downgrade", "http://wallet.example/cb?" + url.Values{"code": {cbCode}, "state": {cbState}, "iss": {cbIssuer}}.Encode(), ErrCallbackURL},
		{"fragment response", cbRedirect + "#" + url.Values{"code": {cbCode}, "state": {cbState}, "iss": {cbIssuer}}.Encode(), ErrIssuerMissing},
		{"not a URL", "code=" + cbCode, ErrCallbackURL},
		{"empty", "", ErrCallbackURL},
		{"bad escape", cbRedirect + "?code=%zz&state=" + cbState + "&iss=" + url.QueryEscape(cbIssuer), ErrCallbackURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, err := ParseCallbackURL(tt.raw, cbCheck)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if code != "" {
				t.Fatal("a rejected callback returned a code")
			}
			if strings.Contains(err.Error(), cbCode) || strings.Contains(err.Error(), cbState) {
				t.Fatalf("error %q leaks the code or state", err)
			}
		})
	}
}

func TestAuthorizationErrorSanitises(t *testing.T) {
	_, err := ParseCallbackURL(cbURL("error", "access_denied", "error_description", "\x1b[31mred\x1b[0m"+strings.Repeat("z", 500), "state", cbState, "iss", cbIssuer), cbCheck)
	var ae *AuthorizationError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v", err)
	}
	if strings.ContainsRune(err.Error(), '\x1b') || len(ae.Description) > 210*3 {
		t.Errorf("description not sanitised: %q", ae.Description)
	}
	if !errors.Is(err, ErrAccessDenied) || !errors.Is(err, ErrAuthorizationBad) {
		t.Error("access_denied must match both ErrAccessDenied and ErrAuthorizationBad")
	}
}

func TestCodeGuard(t *testing.T) {
	var g CodeGuard
	if err := g.Accept("a"); err != nil {
		t.Fatal(err)
	}
	if err := g.Accept("b"); err != nil {
		t.Fatal(err)
	}
	if err := g.Accept("a"); !errors.Is(err, ErrCodeReplayed) {
		t.Fatalf("replayed code: %v", err)
	}
}

func FuzzParseCallbackURL(f *testing.F) {
	f.Add(cbURL("code", cbCode, "state", cbState, "iss", cbIssuer))
	f.Add(cbURL("error", "access_denied", "state", cbState, "iss", cbIssuer))
	f.Add(cbURL("code", cbCode, "state", cbState))
	f.Add(cbRedirect + "?code=%zz")
	f.Add(cbRedirect + "?;;&&==")
	f.Add("https://wallet.example:99999/cb?code=1")
	f.Add("\x00")
	f.Add(cbURL("error", "access_denied\x1b]52;c;QUUw\x07", "error_description", "no\u202e \u009b2J\x1b]2;T\x07", "state", cbState, "iss", cbIssuer))
	f.Add(cbURL("error", "server_error", "error_description", "\xff\u2066x", "state", cbState, "iss", cbIssuer))
	f.Fuzz(func(t *testing.T, raw string) {
		code, err := ParseCallbackURL(raw, cbCheck)
		if err != nil {
			if code != "" {
				t.Fatal("code returned with an error")
			}
			// The refusal is shown on the bank step: the bank's error and error_description
			// reach it only as displayable text.
			if !safetext.Clean(err.Error()) {
				t.Fatalf("refusal %q is not displayable", err)
			}
			return
		}
		// Anything accepted must really carry our state and issuer exactly once, and a code.
		u, perr := url.Parse(strings.TrimSpace(raw))
		if perr != nil {
			t.Fatalf("accepted an unparsable URL: %v", perr)
		}
		q := u.Query()
		if len(q["state"]) != 1 || q.Get("state") != cbState || len(q["iss"]) != 1 || q.Get("iss") != cbIssuer {
			t.Fatalf("accepted without our state/iss: %q", raw)
		}
		if q.Has("error") || code == "" || q.Get("code") != code.Reveal() {
			t.Fatalf("accepted an error response or lost the code: %q", raw)
		}
	})
}
