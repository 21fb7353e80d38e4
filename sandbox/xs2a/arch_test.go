package xs2a

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// clientSide are the packages of the client side of payterm. No package under sandbox/ may
// import one, directly or through another package, in its code or its tests: a bank that
// shared the client's signer, IBAN check or wire types could agree with it on a mistake.
var clientSide = []string{"lfi", "consent", "risk", "sca", "wallet", "xs2a", "internal/httpsig", "internal/iban",
	"internal/safetext", "provider", "ui", "app", "keystore"}

// forbidden lists "importer -> client package" for every edge of graph (package → its
// imports) that reaches the client side from a package of module.
func forbidden(module string, graph map[string][]string) []string {
	var out []string
	for pkg, imports := range graph {
		for _, imp := range imports {
			rel, ok := strings.CutPrefix(imp, module+"/")
			if !ok {
				continue
			}
			for _, c := range clientSide {
				if rel == c || strings.HasPrefix(rel, c+"/") {
					out = append(out, pkg+" -> "+imp)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestForbiddenFindsAClientImport(t *testing.T) {
	const m = "github.com/payterm/payterm"
	graph := map[string][]string{
		m + "/sandbox/xs2a":      {m + "/sandbox/xs2a/sigcheck", "crypto/rsa"},
		m + "/sandbox/xs2a/util": {m + "/internal/httpsig"},
		m + "/sandbox":           {m + "/xs2a/wire", m + "/internal/specs"},
	}
	got := forbidden(m, graph)
	want := []string{m + "/sandbox -> " + m + "/xs2a/wire", m + "/sandbox/xs2a/util -> " + m + "/internal/httpsig"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestSandboxImportsNoClientPackage runs `go list -deps -test ./sandbox/...` and fails on any
// path from a sandbox package (or a package it depends on) to the client side.
func TestSandboxImportsNoClientPackage(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("PAYTERM_REQUIRE_E2E") == "1" {
			t.Fatal("the go command is needed for the architecture test")
		}
		t.Skip("the go command is not on PATH")
	}
	root, _ := filepath.Abs(".")
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			t.Fatal("no go.mod above the test")
		}
		root = parent
	}
	cmd := exec.Command(goBin, "list", "-deps", "-test", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./sandbox/...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	modCmd := exec.Command(goBin, "list", "-m")
	modCmd.Dir = root
	modOut, err := modCmd.Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	module := strings.TrimSpace(string(modOut))
	graph := map[string][]string{}
	sandboxPkgs := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		pkg := strings.Fields(strings.ReplaceAll(f[0], "[", " "))[0] // "p [p.test]" → p
		graph[f[0]] = f[1:]
		if strings.HasPrefix(pkg, module+"/sandbox") {
			sandboxPkgs++
		}
	}
	if sandboxPkgs < 4 { // sandbox, sandbox/rules, sandbox/xs2a and its sub-packages at least
		t.Fatalf("go list found only %d sandbox packages: the pattern is wrong", sandboxPkgs)
	}
	if bad := forbidden(module, graph); len(bad) > 0 {
		t.Fatalf("sandbox reaches the client side:\n%s", strings.Join(bad, "\n"))
	}
}
