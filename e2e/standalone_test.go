package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// standaloneBank is a sandbox bank running as its own process.
type standaloneBank struct {
	Issuer, DiscoveryURL, ResourceBaseURL string
	AdminURL, CAFile, DataDir             string
	adminToken                            string
}

// startStandaloneBank runs `payterm sandbox` (the real binary's standalone bank) as its own
// process with a fresh bank dir, reads the URLs it prints, and stops it (SIGTERM) when the test
// ends.
func startStandaloneBank(t testing.TB, autoApprove bool) *standaloneBank {
	t.Helper()
	bin := payterm(t)
	home := privateDir(t, "bank-home")
	b := &standaloneBank{DataDir: filepath.Join(home, "bank")}
	cfgPath := filepath.Join(home, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf("data_dir = %q\n", filepath.Join(home, "data"))), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"sandbox", "--config", cfgPath, "--bank-dir", b.DataDir}
	if autoApprove {
		args = append(args, "--auto-approve")
	}
	race := filepath.Join(home, "race-report")
	t.Cleanup(func() { checkRaceReports(t, race) }) // runs after the stop registered below
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"HOME=" + home, "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "GORACE=log_path=" + race + " halt_on_error=0"}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start payterm sandbox: %v", err)
	}
	exited := make(chan error, 1)
	banner := make(chan map[string]string, 1)
	go func() {
		// The banner is "  name:  value" lines; the admin API line comes last.
		fields := map[string]string{}
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			if sent {
				continue
			}
			k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
			if !ok {
				continue
			}
			fields[k] = strings.TrimSpace(v)
			if k == "admin API" {
				banner <- fields
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	select {
	case f := <-banner:
		b.DiscoveryURL, b.Issuer, b.ResourceBaseURL, b.CAFile = f["discovery"], f["issuer"], f["resource base"], f["CA certificate"]
		// "http://127.0.0.1:PORT (Bearer token in FILE)"
		admin := f["admin API"]
		if i := strings.Index(admin, " (Bearer token in "); i > 0 {
			b.AdminURL = admin[:i]
			tokFile := strings.TrimSuffix(admin[i+len(" (Bearer token in "):], ")")
			tok, err := os.ReadFile(tokFile)
			if err != nil {
				t.Fatalf("read the sandbox admin token: %v", err)
			}
			b.adminToken = strings.TrimSpace(string(tok))
		}
		if b.DiscoveryURL == "" || b.ResourceBaseURL == "" || b.CAFile == "" || b.AdminURL == "" || b.adminToken == "" {
			t.Fatalf("payterm sandbox printed an incomplete banner: %v", f)
		}
	case err := <-exited:
		t.Fatalf("payterm sandbox exited: %v\n%s", err, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("payterm sandbox did not start within 60s\n%s", stderr.String())
	}
	return b
}

// verdicts reads the bank's recent request verdicts through its admin API.
func (b *standaloneBank) verdicts(t testing.TB) []bankVerdict {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.AdminURL+"/admin/verdicts?n=500", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+b.adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("admin verdicts: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("admin verdicts: HTTP %d", resp.StatusCode)
	}
	var out []bankVerdict
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("admin verdicts: %v", err)
	}
	return out
}

// bankVerdict is the admin API's account of one request (decoded here, not imported, so this
// package depends on the sandbox's wire format only).
type bankVerdict struct {
	Host     string `json:"host"`
	Method   string `json:"method"`
	Path     string `json:"path"`
	ClientID string `json:"client_id"`
	Status   int    `json:"status"`
	Checks   []struct {
		Rule   int    `json:"rule"`
		Name   string `json:"name"`
		Passed bool   `json:"passed"`
		Detail string `json:"detail"`
	} `json:"checks"`
}

func (v bankVerdict) failed() []string {
	var out []string
	for _, c := range v.Checks {
		if !c.Passed {
			out = append(out, fmt.Sprintf("rule %d %s: %s", c.Rule, c.Name, c.Detail))
		}
	}
	return out
}
