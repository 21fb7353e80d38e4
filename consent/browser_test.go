package consent

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestWriteQR(t *testing.T) {
	var b strings.Builder
	if err := WriteQR(&b, "https://auth1.bank.example/auth?client_id=x&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) < 10 || !strings.ContainsAny(b.String(), "█▀▄") {
		t.Fatalf("QR output has %d lines", len(lines))
	}
	if err := WriteQR(&b, strings.Repeat("x", 8000)); err == nil {
		t.Fatal("an oversized payload must fail, not panic")
	}
}

func TestSystemOpenerRunsHelperWithURLAsOneArgument(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("xdg-open stand-in is a shell script")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "args")
	script := "#!/bin/sh\nprintf '%s\\n' \"$#\" \"$1\" > " + out + "\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	u := "https://auth1.bank.example/auth?a=1&b=$(touch /tmp/pwned);x"
	if err := SystemOpener(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for range 200 { // the helper runs asynchronously
		if b, err := os.ReadFile(out); err == nil && strings.Count(string(b), "\n") == 2 {
			got = b
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if string(got) != "1\n"+u+"\n" {
		t.Fatalf("helper got %q", got)
	}
	t.Setenv("PATH", t.TempDir())
	if err := SystemOpener(context.Background(), u); err == nil {
		t.Fatal("missing xdg-open must be reported")
	}
}

// TestSystemOpenerReportsNoBrowser: xdg-open that finds no browser (it exits 3, "no method
// available", on a machine without a desktop) is an error, so the wallet does not wait for a
// page nobody sees; a helper still running after the grace period counts as showing it.
func TestSystemOpenerReportsNoBrowser(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("xdg-open stand-in is a shell script")
	}
	dir := t.TempDir()
	write := func(script string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir+":/usr/bin:/bin")
	write("#!/bin/sh\necho 'xdg-open: no method available for opening' >&2\nexit 3\n")
	never := make(chan time.Time)
	err := systemOpener(context.Background(), "https://bank.example/a", never)
	if !errors.Is(err, ErrNoBrowser) || !strings.Contains(err.Error(), "status 3") {
		t.Fatalf("a helper that found no browser: %v", err)
	}
	write("#!/bin/sh\nexit 0\n")
	if err := systemOpener(context.Background(), "https://bank.example/a", never); err != nil {
		t.Fatalf("a helper that opened the page: %v", err)
	}
	write("#!/bin/sh\nexec sleep 30\n") // a browser in the foreground
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // ends the stand-in
	gone := make(chan time.Time)
	close(gone)
	if err := systemOpener(ctx, "https://bank.example/a", gone); err != nil {
		t.Fatalf("a helper still running after the grace period: %v", err)
	}
}

func TestFollowToRedirect(t *testing.T) {
	const redirect = "https://wallet.example/cb"
	mux := http.NewServeMux()
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/hop", http.StatusFound) })
	mux.HandleFunc("/hop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, redirect+"?code=c&state=s&iss=i", http.StatusSeeOther)
	})
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("approve?")) })
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "javascript:alert(1)")
		w.WriteHeader(http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	got, err := FollowToRedirect(context.Background(), srv.Client(), srv.URL+"/start", redirect)
	if err != nil || got != redirect+"?code=c&state=s&iss=i" {
		t.Fatalf("got %q, %v", got, err)
	}
	for _, path := range []string{"/page", "/loop", "/js"} {
		if _, err := FollowToRedirect(context.Background(), srv.Client(), srv.URL+path, redirect); !errors.Is(err, ErrNoRedirect) {
			t.Errorf("%s: %v, want ErrNoRedirect", path, err)
		}
	}
}

func TestFollowToRedirectErrorHidesURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // connection refused
	_, err := FollowToRedirect(context.Background(), &http.Client{}, addr+"/auth?request_uri=urn:secret-ref", "https://wallet.example/cb")
	if err == nil || strings.Contains(err.Error(), "secret-ref") {
		t.Fatalf("err = %v", err)
	}
}
