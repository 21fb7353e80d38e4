package xs2a

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// foreignSigner runs testdata/foreign/sign.mjs (Node + npm http-signature) on one request.
func foreignSigner(t *testing.T) func(in map[string]any) map[string]string {
	t.Helper()
	need := func(tool string) string {
		p, err := exec.LookPath(tool)
		if err != nil {
			if os.Getenv("PAYTERM_REQUIRE_E2E") == "1" {
				t.Fatalf("%s is required (apt-get install nodejs npm)", tool)
			}
			t.Skipf("%s not found: the foreign-signer check needs Node and npm", tool)
		}
		return p
	}
	node := need("node")
	dir, _ := filepath.Abs(filepath.Join("testdata", "foreign"))
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "http-signature", "package.json")); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, need("npm"), "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}
	return func(in map[string]any) map[string]string {
		raw, _ := json.Marshal(in)
		cmd := exec.Command(node, "sign.mjs")
		cmd.Dir = dir
		cmd.Stdin = bytes.NewReader(raw)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("node sign.mjs: %v\n%s", err, stderr.String())
		}
		var res struct {
			Headers map[string]string `json:"headers"`
		}
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatal(err)
		}
		return res.Headers
	}
}

// TestForeignSignerHTTPSignature: requests signed by npm's http-signature pass the bank's
// verifier for BG (percent-encoded DN) and SpareBank 1 (raw DN, date signed), and the same
// request with one signed header changed is refused with rule 17.
func TestForeignSignerHTTPSignature(t *testing.T) {
	sign := foreignSigner(t)
	for _, prof := range []Profile{ProfileBG(), ProfileSB1()} {
		t.Run(prof.Name, func(t *testing.T) {
			b := newTestBank(t, prof, func(c *Config) { c.AutoApprove = true })
			c := newTPP(t, b, 0)
			if prof.SessionGate {
				c.sb1Session(t)
			}
			path, body := productPath(prof)
			keyPem := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(c.sealKey)}))
			send := func(tamper bool) result {
				xrid := newUUID()
				hdr := map[string]string{"X-Request-ID": xrid, "Date": b.Now().UTC().Format(http.TimeFormat), "TPP-Redirect-URI": testRedirect,
					"PSU-IP-Address": "192.168.8.78", "Content-Type": "application/json", "TPP-Signature-Certificate": c.sealB64}
				names := []string{"digest", "x-request-id", "tpp-redirect-uri", "date"}
				if c.psuID != "" {
					hdr["PSU-ID"], hdr["TPP-Session-ID"] = c.psuID, c.session
					names = []string{"date", "digest", "x-request-id", "psu-id", "tpp-redirect-uri"}
				}
				signed := sign(map[string]any{"method": "POST", "path": b.prof.PathPrefix + path, "headers": hdr, "body": string(body),
					"keyPem": keyPem, "keyId": c.reg.KeyID, "sign": names})
				return c.do("POST", path, body, opts{unsigned: true, requestID: xrid, after: func(r *http.Request) {
					for k, v := range signed {
						r.Header.Set(k, v)
					}
					if tamper {
						r.Header.Set("TPP-Redirect-URI", testRedirect+"?tampered=1")
					}
				}})
			}
			ok := send(false)
			if ok.status != 201 {
				t.Fatalf("http-signature's request refused: %d %s", ok.status, ok.body)
			}
			if v, _ := b.VerdictFor(ok.reqID); v.Failed() || v.Signature == nil || !strings.HasPrefix(v.Signature.KeyID, "SN=") {
				t.Fatalf("verdict %+v", v)
			}
			expectRule(t, b, send(true), 401, map[string]string{"era": "SIGNATURE_INVALID", "bg": "SIGNATURE_INVALID"}[prof.ErrorShape], RuleSignatureVerifies)
		})
	}
}
