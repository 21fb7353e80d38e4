package sandbox

import (
	"encoding/json"
	"os"
	"path/filepath"
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

// FuzzJournalReplay: a corrupt journal never panics the loader.
func FuzzJournalReplay(f *testing.F) {
	f.Add(`{"payment":{"payment_id":"p"},"idem_id":"k","idem":{},"balance_fils":1}` + "\n")
	f.Add("\n\n{")
	f.Add(`{"payment":null,"balance_fils":-5}`)
	f.Fuzz(func(t *testing.T, raw string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, journalFile), []byte(raw), 0o600); err != nil {
			t.Fatal(err)
		}
		_, _ = loadState(dir, 0)
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
