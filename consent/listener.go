package consent

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// CallbackTimeout is how long a loopback receiver waits for the browser: codes and PAR requests
// are short-lived, and the standard says to reject callbacks more than ~10 minutes after PAR.
const CallbackTimeout = 10 * time.Minute

// ErrCallbackTimeout: no callback arrived in time.
var ErrCallbackTimeout = errors.New("no callback from the bank within 10 minutes")

// ListenerOptions tune a loopback receiver. Zero values are production defaults.
type ListenerOptions struct {
	// TLS serves https loopback redirect URIs; http ones need none.
	TLS *tls.Config
	// After replaces time.After, so tests can fire the timeout without waiting.
	After func(time.Duration) <-chan time.Time
	// Timeout overrides CallbackTimeout.
	Timeout time.Duration
}

// Receiver is a single-use loopback HTTP server for the authorization callback.
type Receiver struct {
	redirectURI string
	path        string
	check       CallbackCheck
	srv         *http.Server
	timeout     <-chan time.Time

	once   sync.Once
	result chan receiverResult
	closed chan struct{}
	closer sync.Once
}

type receiverResult struct {
	code AuthCode
	err  error
}

// IsLoopbackRedirect reports whether redirectURI points at this machine (the bank sends the
// browser back here, where a browser on another device cannot follow).
func IsLoopbackRedirect(redirectURI string) bool {
	u, err := url.Parse(redirectURI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return isLoopbackHost(u.Hostname())
}

// ReceivesLoopback reports whether a local receiver can take the callback for redirectURI: an
// http loopback URI always can; an https one only with a certificate for it (withTLS), since a
// browser refuses an https page without one. Otherwise the user pastes the address the browser
// lands on.
func ReceivesLoopback(redirectURI string, withTLS bool) bool {
	if !IsLoopbackRedirect(redirectURI) {
		return false
	}
	u, err := url.Parse(redirectURI)
	return err == nil && (u.Scheme == "http" || withTLS)
}

// ListenLoopback binds 127.0.0.1 on the redirect URI's port (a random one when the URI has none
// or 0, as RFC 8252 §7.3 allows) and serves exactly one callback on its path. RedirectURI
// returns the URI with the real port, to put in the request object. An https URI is served with
// opts.TLS and keeps its host and port as written: a bank matches https redirect URIs exactly.
// The receiver stops after one callback, after the timeout, or on Close.
func ListenLoopback(redirectURI, state, issuer string, opts ListenerOptions) (*Receiver, error) {
	if !IsLoopbackRedirect(redirectURI) {
		return nil, errors.New("loopback receiver: redirect_uri is not a loopback http(s) URL")
	}
	u, err := url.Parse(redirectURI)
	if err != nil {
		return nil, fmt.Errorf("loopback receiver: %w", err)
	}
	if u.Scheme == "https" && opts.TLS == nil {
		return nil, errors.New("loopback receiver: an https redirect_uri needs a TLS certificate")
	}
	port := u.Port()
	if port == "" {
		port = "0"
	}
	if u.Scheme == "https" && port == "0" {
		return nil, errors.New("loopback receiver: an https redirect_uri needs a fixed port (the bank matches it exactly)")
	}
	bind := "127.0.0.1"
	if ip := net.ParseIP(u.Hostname()); u.Scheme == "https" && ip != nil && ip.To4() == nil {
		bind = "::1" // an https URI keeps its host: serve where the browser will connect
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(bind, port))
	if err != nil {
		return nil, fmt.Errorf("loopback receiver: listen: %w", err)
	}
	if opts.TLS != nil && u.Scheme == "https" {
		ln = tls.NewListener(ln, opts.TLS)
	}
	effective := *u
	if u.Scheme == "http" {
		effective.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	if u.Path == "" {
		effective.Path = "/"
	}
	after := opts.After
	if after == nil {
		after = time.After
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = CallbackTimeout
	}
	r := &Receiver{
		redirectURI: effective.String(),
		path:        effective.EscapedPath(),
		result:      make(chan receiverResult, 1),
		closed:      make(chan struct{}),
		timeout:     after(timeout),
	}
	r.check = CallbackCheck{RedirectURI: r.redirectURI, State: state, Issuer: issuer}
	r.srv = &http.Server{
		Handler:           http.HandlerFunc(r.serve),
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    16 << 10,
		// net/http logs TLS handshake failures and similar to the standard logger (stderr)
		// when ErrorLog is nil. Stderr is the terminal the wallet draws on, and anything on the
		// machine can connect to this port: those lines would garble the screen. They carry
		// nothing the user can act on, so they are dropped.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// RedirectURI is the callback address with the port actually bound.
func (r *Receiver) RedirectURI() string { return r.redirectURI }

// Wait blocks until the callback arrives (and returns its checked code), the timeout passes, or
// ctx ends. The receiver is closed when Wait returns.
func (r *Receiver) Wait(ctx context.Context) (AuthCode, error) {
	defer r.Close()
	select {
	case res := <-r.result:
		return res.code, res.err
	case <-r.timeout:
		return "", ErrCallbackTimeout
	case <-ctx.Done():
		return "", fmt.Errorf("wait for callback: %w", ctx.Err())
	}
}

// Close stops the listener. Safe to call more than once.
func (r *Receiver) Close() error {
	var err error
	r.closer.Do(func() {
		close(r.closed)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		err = r.srv.Shutdown(ctx)
	})
	return err
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	if req.URL.EscapedPath() != r.path {
		http.NotFound(w, req) // favicon and strays must not consume the single use
		return
	}
	if req.Method != http.MethodGet {
		h.Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	consumed := false
	r.once.Do(func() {
		consumed = true
		code, err := checkCallbackQuery(req.URL.RawQuery, r.check)
		r.result <- receiverResult{code: code, err: err}
		writePage(w, err)
	})
	if !consumed {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusGone)
		_, _ = w.Write([]byte("This sign-in link was already used. Return to payterm.\n"))
	}
}

// writePage answers the browser. It never echoes the code, state or the bank's error text.
func writePage(w http.ResponseWriter, err error) {
	title, body := "Consent received", "payterm has your bank's answer. You can close this tab and return to the terminal."
	status := http.StatusOK
	if err != nil {
		status = http.StatusBadRequest
		title, body = "Consent not completed", "payterm could not accept this answer from the bank. You can close this tab; the terminal says what happened."
		if errors.Is(err, ErrAccessDenied) {
			title = "Consent declined"
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>payterm: %s</title></head>`+
		`<body style="font-family:sans-serif;max-width:36em;margin:4em auto"><h1>%s</h1><p>%s</p></body></html>`+"\n", title, title, body)
}
