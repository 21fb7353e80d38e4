package sandbox

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzParseFils: the amount parser never panics and round-trips what it accepts.
func FuzzParseFils(f *testing.F) {
	for _, s := range []string{"0.01", "149.99", "9999999999999999.99", "1.0", "-1.00", "", "1e3.00", "٣.٠٠", "01.00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fils, err := parseFils(s)
		if err != nil {
			return
		}
		if fils < 0 {
			t.Fatalf("%q parsed negative: %d", s, fils)
		}
		back := formatFils(fils)
		again, err := parseFils(back)
		if err != nil || again != fils {
			t.Fatalf("%q → %d → %q → %d (%v)", s, fils, back, again, err)
		}
	})
}

// FuzzRegistration: registration input (HTTP JSON or client file) never panics the validator,
// and whatever is accepted has a valid client_id, a usable JWKS and acceptable redirect URIs.
func FuzzRegistration(f *testing.F) {
	b, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(`{"name":"x","signing_jwks":{"keys":[]},"redirect_uris":["https://a.example/cb"]}`)
	f.Add(`{"client_id":"a b","name":"","redirect_uris":["http://127.0.0.1:0/cb"]}`)
	f.Add(`{"name":"x","signing_jwks":{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"k","use":"sig"}]},"redirect_uris":["javascript:alert(1)"]}`)
	f.Add(`{"name":"x","csr_pem":"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----"}`)
	f.Fuzz(func(t *testing.T, raw string) {
		var reg ClientRegistration
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.DisallowUnknownFields()
		if dec.Decode(&reg) != nil {
			return
		}
		c, _, err := b.validateRegistration(reg)
		if err != nil {
			return
		}
		if !clientIDPattern.MatchString(c.ClientID) {
			t.Fatalf("accepted client_id %q", c.ClientID)
		}
		if _, err := parseClientJWKS(c.SigningJWKS); err != nil {
			t.Fatalf("accepted an unusable JWKS: %v", err)
		}
		for _, u := range c.RedirectURIs {
			if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://127.") && !strings.HasPrefix(u, "http://[") {
				t.Fatalf("accepted redirect URI %q", u)
			}
		}
	})
}

// FuzzJournalReplay: a corrupt journal never panics the loader, and a delta's null (a deleted
// record) removes the record instead of storing a nil the handlers would dereference.
func FuzzJournalReplay(f *testing.F) {
	f.Add(`{"payment":{"payment_id":"p"},"idem_id":"k","idem":{},"balance_fils":1}` + "\n")
	f.Add("\n\n{")
	f.Add(`{"payment":null,"balance_fils":-5}`)
	f.Add(`{"delta":{"consents":{"c":{"consent_id":"c","status":"Authorized"}},"jtis":{"j":"2026-01-01T00:00:00Z"}},"balance_fils":1}` + "\n" +
		`{"delta":{"consents":{"c":null},"pars":{"u":null},"jtis":{"j":null},"refresh_tokens":{"r":{"revoked":true}}},"balance_fils":1}` + "\n")
	f.Add(`{"delta":{"codes":{"x":{}}},"balance_fils":3,"gen":2}` + "\n")
	f.Fuzz(func(t *testing.T, raw string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, journalFile), []byte(raw), 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := loadState(dir, 0)
		if err != nil {
			return
		}
		for name, n := range map[string]int{"consents": nilValues(st.Consents), "pars": nilValues(st.PARs), "codes": nilValues(st.Codes),
			"access": nilValues(st.Access), "refresh": nilValues(st.Refresh), "payments": nilValues(st.Payments), "idempotency": nilValues(st.Idempotency)} {
			if n != 0 {
				t.Fatalf("replay stored %d nil %s records", n, name)
			}
		}
	})
}

func nilValues[T any](m map[string]*T) int {
	n := 0
	for _, v := range m {
		if v == nil {
			n++
		}
	}
	return n
}

// FuzzNarrowScope: an accepted refresh scope is non-empty, made only of values in both the
// grant and the request, each once, single-spaced; a request of grant values is accepted.
func FuzzNarrowScope(f *testing.F) {
	f.Add("payments", "payments openid")
	f.Add(" openid  payments openid ", "payments openid")
	f.Add("payments openid accounts", "payments openid")
	f.Add("   ", "payments openid")
	f.Add("payments\topenid", "payments openid")
	f.Fuzz(func(t *testing.T, asked, granted string) {
		got, ok := narrowScope(asked, granted)
		subset := len(strings.Fields(asked)) > 0
		for _, s := range strings.Fields(asked) {
			subset = subset && slices.Contains(strings.Fields(granted), s)
		}
		if ok != subset {
			t.Fatalf("narrowScope(%q, %q) ok = %v, want %v", asked, granted, ok, subset)
		}
		if !ok {
			return
		}
		fields := strings.Fields(got)
		if got != strings.Join(fields, " ") || len(fields) == 0 {
			t.Fatalf("scope %q is not single-spaced values", got)
		}
		for i, s := range fields {
			if !slices.Contains(strings.Fields(granted), s) || !slices.Contains(strings.Fields(asked), s) || slices.Contains(fields[:i], s) {
				t.Fatalf("scope %q: value %q not asked, not granted or repeated", got, s)
			}
		}
	})
}

func TestConfigRedactsAdminToken(t *testing.T) {
	c := Config{AdminToken: "super-secret-token"}
	for _, s := range []string{c.String(), c.LogValue().String()} {
		if strings.Contains(s, "super-secret") {
			t.Fatalf("admin token leaked: %s", s)
		}
	}
}
