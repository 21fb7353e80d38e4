package sandbox

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// idTokenExchange is one authorization_code exchange and what the id_token must match.
type idTokenExchange struct {
	idToken, nonce, state, code, access string
}

// exchangeForIDToken runs PAR → approve → token and returns the id_token with its expectations.
func exchangeForIDToken(t *testing.T, c *tpp) idTokenExchange {
	t.Helper()
	uri, ro := c.pushed(consentPII())
	cb := c.approve(uri, "approve", nil)
	tr := c.postForm(c.disc.Token, c.tokenForm("authorization_code", "code", cb.Get("code"), "redirect_uri", c.redirect, "code_verifier", testVerifier))
	if tr.Status != http.StatusOK {
		t.Fatalf("token: %d %v", tr.Status, tr.Body)
	}
	idt, _ := tr.Body["id_token"].(string)
	if idt == "" {
		t.Fatal("no id_token in the authorization_code answer")
	}
	return idTokenExchange{idToken: idt, nonce: ro["nonce"].(string), state: ro["state"].(string), code: cb.Get("code"),
		access: tr.Body["access_token"].(string)}
}

// leftHalfSHA256 is the OIDC hash claim for PS256, computed here independently of the bank.
func leftHalfSHA256(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// idTokenDefects is what a strict relying party would find wrong with an id_token: the names
// of the failed checks (alg, kid, signature, iss, aud, exp, iat, nonce, sub, s_hash, c_hash,
// at_hash). Claims are judged even when the header fails, so a fault that breaks more than
// its one thing shows up.
func idTokenDefects(t *testing.T, c *tpp, x idTokenExchange, wantHashes bool) []string {
	t.Helper()
	parts := strings.Split(x.idToken, ".")
	if len(parts) != 3 {
		t.Fatalf("id_token has %d parts", len(parts))
	}
	var header struct{ Alg, Kid, Typ string }
	var claims map[string]any
	for i, dst := range []any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("id_token part %d: %v", i, err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatalf("id_token part %d: %v", i, err)
		}
	}
	var bad []string
	pub, known := c.bankSig[header.Kid]
	switch {
	case header.Alg != "PS256":
		bad = append(bad, "alg")
	case !known:
		bad = append(bad, "kid")
	default:
		jws, err := jose.ParseSignedCompact(x.idToken, []jose.SignatureAlgorithm{jose.PS256})
		if err != nil {
			t.Fatalf("parse id_token: %v", err)
		}
		if _, err := jws.Verify(pub); err != nil {
			bad = append(bad, "signature")
		}
	}
	if claims["iss"] != c.disc.Issuer {
		bad = append(bad, "iss")
	}
	if claims["aud"] != c.id {
		bad = append(bad, "aud")
	}
	now := float64(c.bank.Now().Unix())
	exp, _ := claims["exp"].(float64)
	iat, _ := claims["iat"].(float64)
	if exp <= now {
		bad = append(bad, "exp")
	}
	if iat > now || iat < now-600 || exp <= iat {
		bad = append(bad, "iat")
	}
	if n, ok := claims["nonce"].(string); !ok || n != x.nonce {
		bad = append(bad, "nonce")
	}
	if s, _ := claims["sub"].(string); s == "" {
		bad = append(bad, "sub")
	}
	for _, h := range []struct{ claim, of string }{{"s_hash", x.state}, {"c_hash", x.code}, {"at_hash", x.access}} {
		got, present := claims[h.claim]
		if (present || wantHashes) && got != leftHalfSHA256(h.of) {
			bad = append(bad, h.claim)
		}
	}
	return bad
}

// TestIDTokenGenuine: the bank's own id_token passes every check, hashes included, and a bank
// configured to omit the hashes sends none.
func TestIDTokenGenuine(t *testing.T) {
	b := newBank(t, nil)
	c := newTPP(t, b)
	x := exchangeForIDToken(t, c)
	if bad := idTokenDefects(t, c, x, true); len(bad) != 0 {
		t.Fatalf("genuine id_token fails %v", bad)
	}

	b2 := newBank(t, func(cfg *Config) { cfg.OmitIDTokenHashes = true })
	c2 := newTPP(t, b2)
	x2 := exchangeForIDToken(t, c2)
	if bad := idTokenDefects(t, c2, x2, false); len(bad) != 0 {
		t.Fatalf("id_token without hashes fails %v", bad)
	}
	for _, claim := range []string{`"s_hash"`, `"c_hash"`, `"at_hash"`} {
		raw, _ := base64.RawURLEncoding.DecodeString(strings.Split(x2.idToken, ".")[1])
		if strings.Contains(string(raw), claim) {
			t.Fatalf("OmitIDTokenHashes: %s present", claim)
		}
	}
}

// TestIDTokenFaults: each id_token fault yields a token with exactly its one defect, the PARs
// in between do not consume it, and it is spent after Count exchanges.
func TestIDTokenFaults(t *testing.T) {
	b := newBank(t, nil)
	c := newTPP(t, b)
	want := map[FaultKind]string{
		FaultIDTokenWrongIss: "iss", FaultIDTokenWrongAud: "aud", FaultIDTokenWrongNonce: "nonce",
		FaultIDTokenMissingNonce: "nonce", FaultIDTokenExpired: "exp", FaultIDTokenWrongAlg: "alg",
		FaultIDTokenAlgNone: "alg", FaultIDTokenUnknownKid: "kid", FaultIDTokenBadSHash: "s_hash",
		FaultIDTokenBadCHash: "c_hash", FaultIDTokenBadAtHash: "at_hash",
	}
	if len(want) != len(IDTokenFaults) {
		t.Fatalf("%d faults tested, %d defined", len(want), len(IDTokenFaults))
	}
	for _, kind := range IDTokenFaults {
		t.Run(string(kind), func(t *testing.T) {
			if err := b.InjectFault(Fault{Kind: kind, Count: 1}); err != nil {
				t.Fatal(err)
			}
			x := exchangeForIDToken(t, c)
			if bad := idTokenDefects(t, c, x, true); !slices.Equal(bad, []string{want[kind]}) {
				t.Fatalf("defects %v, want [%s]", bad, want[kind])
			}
			header, _ := base64.RawURLEncoding.DecodeString(strings.Split(x.idToken, ".")[0])
			switch kind {
			case FaultIDTokenMissingNonce:
				payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(x.idToken, ".")[1])
				if strings.Contains(string(payload), `"nonce"`) {
					t.Fatal("nonce present")
				}
			case FaultIDTokenWrongAlg: // bank-signed, only the algorithm is wrong
				jws, err := jose.ParseSignedCompact(x.idToken, []jose.SignatureAlgorithm{jose.RS256})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := jws.Verify(c.bankSig[jws.Signatures[0].Header.KeyID]); err != nil {
					t.Fatalf("RS256 id_token not signed by the bank's key: %v", err)
				}
			case FaultIDTokenAlgNone:
				if !strings.Contains(string(header), `"alg":"none"`) || !strings.HasSuffix(x.idToken, ".") {
					t.Fatalf("not an unsecured JWT: %s", header)
				}
			case FaultIDTokenUnknownKid:
				jws, err := jose.ParseSignedCompact(x.idToken, []jose.SignatureAlgorithm{jose.PS256})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := jws.Verify(&b.wrongSig.priv.PublicKey); err != nil {
					t.Fatalf("unknown-kid id_token not signed by the unpublished key: %v", err)
				}
			}
			if bad := idTokenDefects(t, c, exchangeForIDToken(t, c), true); len(bad) != 0 {
				t.Fatalf("the fault outlived its count: %v", bad)
			}
		})
	}

	t.Run("count 2 spans two exchanges; refresh and client_credentials do not consume it", func(t *testing.T) {
		if err := b.InjectFault(Fault{Kind: FaultIDTokenWrongIss, Count: 2}); err != nil {
			t.Fatal(err)
		}
		cons := c.authorizedConsent(consentPII()) // the first of the two
		if r := c.postForm(c.disc.Token, c.tokenForm("refresh_token", "refresh_token", cons.refresh)); r.Status != 200 || r.Body["id_token"] != nil {
			t.Fatalf("refresh: %d, id_token %v", r.Status, r.Body["id_token"] != nil)
		}
		c.clientCredentials()
		if bad := idTokenDefects(t, c, exchangeForIDToken(t, c), true); !slices.Equal(bad, []string{"iss"}) {
			t.Fatalf("second faulty exchange: %v", bad)
		}
		if bad := idTokenDefects(t, c, exchangeForIDToken(t, c), true); len(bad) != 0 {
			t.Fatalf("third exchange: %v", bad)
		}
	})
	t.Run("an id_token fault cannot target the resource server", func(t *testing.T) {
		if err := b.InjectFault(Fault{Kind: FaultIDTokenExpired, Count: 1, Target: "rs"}); err == nil {
			t.Fatal("accepted target rs")
		}
	})
	t.Run("the admin API queues it", func(t *testing.T) {
		b.cfg.AdminToken = "admin-test-token"
		defer func() { b.cfg.AdminToken = "" }()
		req := httptest.NewRequest(http.MethodPost, "/admin/faults", strings.NewReader(`{"kind":"id_token_bad_c_hash","count":1}`))
		req.RemoteAddr = "127.0.0.1:5000"
		req.Header.Set("Authorization", "Bearer admin-test-token")
		w := httptest.NewRecorder()
		b.adminMux().ServeHTTP(w, req)
		if w.Code != http.StatusNoContent {
			t.Fatalf("admin fault: %d %s", w.Code, w.Body)
		}
		if bad := idTokenDefects(t, c, exchangeForIDToken(t, c), true); !slices.Equal(bad, []string{"c_hash"}) {
			t.Fatalf("after the admin call: %v", bad)
		}
	})
}
