package consent

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func startReceiver(t *testing.T) (*Receiver, chan time.Time) {
	t.Helper()
	fire := make(chan time.Time, 1)
	r, err := ListenLoopback("http://127.0.0.1/callback", cbState, cbIssuer, ListenerOptions{
		After: func(d time.Duration) <-chan time.Time {
			if d != CallbackTimeout {
				t.Errorf("timeout = %s, want %s", d, CallbackTimeout)
			}
			return fire
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r, fire
}

func get(t *testing.T, raw string) (int, string) {
	t.Helper()
	resp, err := http.Get(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestReceiverHappyPath(t *testing.T) {
	r, _ := startReceiver(t)
	u, _ := url.Parse(r.RedirectURI())
	if u.Hostname() != "127.0.0.1" || u.Port() == "" || u.Port() == "0" || u.Path != "/callback" {
		t.Fatalf("RedirectURI = %s", r.RedirectURI())
	}
	if status, _ := get(t, "http://"+u.Host+"/favicon.ico"); status != http.StatusNotFound {
		t.Errorf("stray path status %d", status)
	}
	q := url.Values{"code": {cbCode}, "state": {cbState}, "iss": {cbIssuer}}
	status, body := get(t, r.RedirectURI()+"?"+q.Encode())
	if status != http.StatusOK || !strings.Contains(body, "close this tab") {
		t.Errorf("page: %d %q", status, body)
	}
	if strings.Contains(body, cbCode) || strings.Contains(body, cbState) {
		t.Error("page echoes the code or state")
	}
	code, err := r.Wait(context.Background())
	if err != nil || code.Reveal() != cbCode {
		t.Fatalf("Wait = %v", err)
	}
	// Single use: the server is gone (or answers Gone).
	resp, err := http.Get(r.RedirectURI() + "?" + q.Encode())
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusGone {
			t.Errorf("second callback status %d", resp.StatusCode)
		}
	}
}

func TestReceiverRejectsAttacks(t *testing.T) {
	tests := []struct {
		name string
		q    url.Values
		want error
	}{
		{"wrong iss", url.Values{"code": {cbCode}, "state": {cbState}, "iss": {"https://evil.example"}}, ErrIssuerMismatch},
		{"no iss", url.Values{"code": {cbCode}, "state": {cbState}}, ErrIssuerMissing},
		{"wrong state", url.Values{"code": {cbCode}, "state": {"x"}, "iss": {cbIssuer}}, ErrStateMismatch},
		{"no state", url.Values{"code": {cbCode}, "iss": {cbIssuer}}, ErrStateMissing},
		{"denied", url.Values{"error": {"access_denied"}, "state": {cbState}, "iss": {cbIssuer}}, ErrAccessDenied},
		{"no code", url.Values{"state": {cbState}, "iss": {cbIssuer}}, ErrCodeMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := startReceiver(t)
			status, body := get(t, r.RedirectURI()+"?"+tt.q.Encode())
			if status != http.StatusBadRequest || !strings.Contains(body, "close this tab") {
				t.Errorf("page: %d %q", status, body)
			}
			// A good callback afterwards must not rescue the flow: the first one consumed it.
			good := url.Values{"code": {cbCode}, "state": {cbState}, "iss": {cbIssuer}}
			if resp, err := http.Get(r.RedirectURI() + "?" + good.Encode()); err == nil {
				resp.Body.Close()
				if resp.StatusCode != http.StatusGone {
					t.Errorf("callback after a rejected one: status %d", resp.StatusCode)
				}
			}
			code, err := r.Wait(context.Background())
			if !errors.Is(err, tt.want) || code != "" {
				t.Fatalf("Wait = %q, %v; want %v", code, err, tt.want)
			}
		})
	}
}

func TestReceiverMethodAndTimeout(t *testing.T) {
	r, fire := startReceiver(t)
	resp, err := http.Post(r.RedirectURI(), "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST status %d", resp.StatusCode)
	}
	fire <- time.Time{}
	if _, err := r.Wait(context.Background()); !errors.Is(err, ErrCallbackTimeout) {
		t.Fatalf("Wait after timeout = %v", err)
	}
	if _, err := http.Get(r.RedirectURI()); err == nil {
		t.Error("receiver still listening after the timeout")
	}
}

func TestReceiverContextCancel(t *testing.T) {
	r, _ := startReceiver(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v", err)
	}
}

func TestListenLoopbackRefuses(t *testing.T) {
	for _, uri := range []string{"https://wallet.example/cb", "http://10.0.0.1/cb", "payterm://cb", "https://127.0.0.1/cb"} {
		if r, err := ListenLoopback(uri, cbState, cbIssuer, ListenerOptions{}); err == nil {
			r.Close()
			t.Errorf("ListenLoopback(%s) accepted", uri)
		}
	}
	for uri, want := range map[string]bool{"http://127.0.0.1:8000/cb": true, "http://localhost/cb": true, "http://[::1]/cb": true, "https://wallet.example/cb": false} {
		if IsLoopbackRedirect(uri) != want {
			t.Errorf("IsLoopbackRedirect(%s) != %v", uri, want)
		}
	}
}
