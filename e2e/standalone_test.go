package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// standaloneBank is a sandbox bank running as its own process.
type standaloneBank struct {
	Issuer          string `json:"issuer"`
	DiscoveryURL    string `json:"discovery_url"`
	ResourceBaseURL string `json:"resource_base_url"`
	RegistrationURL string `json:"registration_url"`
	AdminURL        string `json:"admin_url"`
	CAFile          string `json:"ca_file"`
	DataDir         string `json:"-"`
	adminToken      string
}

var sandboxd struct {
	once sync.Once
	path string
	err  error
}

// sandboxdBinary builds e2e/internal/sandboxd, the test-only standalone bank (sandbox.New +
// Start in its own process), once per run.
func sandboxdBinary(t testing.TB) string {
	t.Helper()
	sandboxd.once.Do(func() {
		dir, err := os.MkdirTemp("", "payterm-e2e-sandboxd-")
		if err != nil {
			sandboxd.err = err
			return
		}
		build.dirsToRemove = append(build.dirsToRemove, dir)
		sandboxd.path = filepath.Join(dir, "sandboxd")
		cmd := exec.Command("go", "build", "-o", sandboxd.path, "./e2e/internal/sandboxd")
		cmd.Dir = moduleRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			sandboxd.err = fmt.Errorf("go build sandboxd: %w\n%s", err, out)
		}
	})
	if sandboxd.err != nil {
		t.Fatal(sandboxd.err)
	}
	return sandboxd.path
}

// startStandaloneBank runs the bank as a separate process with a fresh data dir and the admin
// API on, waits for its URLs line, and stops it (SIGTERM) when the test ends.
func startStandaloneBank(t testing.TB, autoApprove bool) *standaloneBank {
	t.Helper()
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		t.Fatal(err)
	}
	b := &standaloneBank{DataDir: privateDir(t, "bank"), adminToken: hex.EncodeToString(tok)}
	args := []string{"--data-dir", b.DataDir, "--admin-token", b.adminToken}
	if autoApprove {
		args = append(args, "--auto-approve")
	}
	cmd := exec.Command(sandboxdBinary(t), args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start standalone sandbox: %v", err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
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
	case line := <-lines:
		if err := json.Unmarshal([]byte(line), b); err != nil || b.DiscoveryURL == "" {
			t.Fatalf("standalone sandbox printed %q, not its URLs: %v", line, err)
		}
	case err := <-exited:
		t.Fatalf("standalone sandbox exited: %v\n%s", err, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("standalone sandbox did not start within 60s\n%s", stderr.String())
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
