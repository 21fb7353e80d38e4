package specs

import (
	"errors"
	"os"
	"testing"
)

// EnvRequireE2E, when "1", turns every skip for a missing external
// resource into a failure (CI sets it).
const EnvRequireE2E = "PAYTERM_REQUIRE_E2E"

// Require loads file for a test. It skips the test with a reason when the
// specs directory is absent from its default place, fails it instead when
// PAYTERM_REQUIRE_E2E=1, and fails it on any other error (a wrong
// PAYTERM_SPECS_DIR, a file that does not parse).
func Require(t testing.TB, file string) *Doc {
	t.Helper()
	doc, err := Load(file)
	if err == nil {
		return doc
	}
	if errors.Is(err, ErrAbsent) && os.Getenv(EnvRequireE2E) != "1" {
		t.Skipf("official OpenAPI files unavailable, schema check skipped: %v", err)
	}
	t.Fatalf("official OpenAPI file %s: %v", file, err)
	return nil
}

// RequireDir returns Dir() for a test that reads a non-OpenAPI file from the
// specs directory, with Require's policy: skip when the directory is absent
// from its default place, fail under PAYTERM_REQUIRE_E2E=1 or on any other
// error (a wrong PAYTERM_SPECS_DIR).
func RequireDir(t testing.TB) string {
	t.Helper()
	dir, err := Dir()
	if err == nil {
		return dir
	}
	if errors.Is(err, ErrAbsent) && os.Getenv(EnvRequireE2E) != "1" {
		t.Skipf("official specs directory unavailable, check skipped: %v", err)
	}
	t.Fatalf("official specs directory: %v", err)
	return ""
}
