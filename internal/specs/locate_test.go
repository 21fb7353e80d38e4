package specs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadCaches(t *testing.T) {
	p := fixture(t, "formats.yaml")
	a, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatal("second Load parsed the file again")
	}
	if a.Name() != "formats.yaml" {
		t.Fatalf("Name() = %q", a.Name())
	}
}

func TestDirFromEnv(t *testing.T) {
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvDir, dir)
	got, err := Dir()
	if err != nil || got != dir {
		t.Fatalf("Dir() = %q, %v; want %q", got, err, dir)
	}
	if _, err := Load("formats.yaml"); err != nil {
		t.Fatalf("relative Load under %s: %v", EnvDir, err)
	}
}

func TestDirEnvMissingIsAnError(t *testing.T) {
	t.Setenv(EnvDir, filepath.Join(t.TempDir(), "nope"))
	_, err := Dir()
	if err == nil || errors.Is(err, ErrAbsent) {
		t.Fatalf("a wrong %s must be an error, not absence: %v", EnvDir, err)
	}
}

func TestDirDefaultFromModuleRoot(t *testing.T) {
	t.Setenv(EnvDir, "")
	base := t.TempDir()
	mod := filepath.Join(base, "repo")
	deep := filepath.Join(mod, "a", "b")
	specs := filepath.Join(base, "shared", "specs", "uae-v2.1")
	for _, d := range []string{deep, specs} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(deep)
	got, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Clean(got) != specs {
		t.Fatalf("Dir() = %q, want %q", got, specs)
	}
	if err := os.RemoveAll(specs); err != nil {
		t.Fatal(err)
	}
	if _, err := Dir(); !errors.Is(err, ErrAbsent) {
		t.Fatalf("want ErrAbsent, got %v", err)
	}
}

// stopTB stands in for testing.TB so Require's skip/fail decision can be
// observed without ending this test.
type stopTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

type stopped struct{}

func (s *stopTB) Helper() {}
func (s *stopTB) Skipf(format string, args ...any) {
	s.skipped, s.msg = true, format
	panic(stopped{})
}
func (s *stopTB) Fatalf(format string, args ...any) {
	s.failed, s.msg = true, format
	panic(stopped{})
}

func runRequire(file string) (tb *stopTB) {
	return runStop(func(tb testing.TB) { Require(tb, file) })
}

func runRequireDir() (tb *stopTB) {
	return runStop(func(tb testing.TB) { RequireDir(tb) })
}

func runStop(f func(testing.TB)) (tb *stopTB) {
	tb = &stopTB{}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(stopped); !ok {
				panic(r)
			}
		}
	}()
	f(tb)
	return tb
}

func TestRequireSkipsOrFails(t *testing.T) {
	unusable := fixture(t, "unknown-format.yaml") // before Chdir
	base := t.TempDir()
	if err := os.WriteFile(filepath.Join(base, "go.mod"), []byte("module x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(base)
	t.Setenv(EnvDir, "")

	t.Setenv(EnvRequireE2E, "")
	if tb := runRequire(BankInitiation); !tb.skipped || tb.failed || !strings.Contains(tb.msg, "skipped") {
		t.Fatalf("absent specs without %s: want a skip, got %+v", EnvRequireE2E, tb)
	}
	if tb := runRequireDir(); !tb.skipped || tb.failed || !strings.Contains(tb.msg, "skipped") {
		t.Fatalf("RequireDir, absent specs without %s: want a skip, got %+v", EnvRequireE2E, tb)
	}
	t.Setenv(EnvRequireE2E, "1")
	if tb := runRequire(BankInitiation); tb.skipped || !tb.failed {
		t.Fatalf("absent specs with %s=1: want a failure, got %+v", EnvRequireE2E, tb)
	}
	if tb := runRequireDir(); tb.skipped || !tb.failed {
		t.Fatalf("RequireDir, absent specs with %s=1: want a failure, got %+v", EnvRequireE2E, tb)
	}
	t.Setenv(EnvRequireE2E, "")
	t.Setenv(EnvDir, filepath.Join(base, "nope"))
	if tb := runRequire(BankInitiation); tb.skipped || !tb.failed {
		t.Fatalf("wrong %s: want a failure, got %+v", EnvDir, tb)
	}
	if tb := runRequireDir(); tb.skipped || !tb.failed {
		t.Fatalf("RequireDir, wrong %s: want a failure, got %+v", EnvDir, tb)
	}
	t.Setenv(EnvDir, base)
	if got := runRequireDir(); got.skipped || got.failed {
		t.Fatalf("RequireDir with %s set to a directory: want it returned, got %+v", EnvDir, got)
	}
	if tb := runRequire(unusable); tb.skipped || !tb.failed || !strings.Contains(tb.msg, "official OpenAPI file") {
		t.Fatalf("unusable file: want a failure, got %+v", tb)
	}
}
