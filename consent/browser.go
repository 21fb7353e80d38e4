package consent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/mdp/qrterminal/v3"
	"rsc.io/qr"
)

// Opener shows url to the user in a browser. Injected so tests and headless runs never spawn one.
type Opener func(ctx context.Context, url string) error

// openerGrace is how long SystemOpener waits for the helper to say whether it found a browser.
// Most helpers start the browser and exit at once; one still running after this is taken to be
// showing the page (some run the browser in the foreground).
const openerGrace = 5 * time.Second

// ErrNoBrowser: the helper ran and found no browser to open the address with (xdg-open says "no
// method available" on a machine without a desktop).
var ErrNoBrowser = errors.New("no browser could be opened")

// SystemOpener opens url with xdg-open (Linux, BSD) or open (macOS). It returns nil once the
// helper has exited successfully or is still running after a short grace period, and an error
// (ErrNoBrowser when the helper ran and failed) when no browser can show the page, so the caller
// never waits on a page nobody sees.
func SystemOpener(ctx context.Context, rawURL string) error {
	return systemOpener(ctx, rawURL, time.After(openerGrace))
}

func systemOpener(ctx context.Context, rawURL string, grace <-chan time.Time) error {
	name := "xdg-open"
	switch runtime.GOOS {
	case "darwin":
		name = "open"
	case "windows":
		return errors.New("open browser: not supported on windows; open the printed URL yourself")
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return fmt.Errorf("open browser: %s not found; open the printed URL yourself", name)
	}
	// The URL is a single argument, never passed through a shell. The helper's own output
	// (xdg-open prints its complaints) must not reach the terminal the wallet draws on.
	cmd := exec.CommandContext(ctx, path, rawURL)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("open browser: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // reaps the helper whenever it ends
	select {
	case err := <-exited:
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return fmt.Errorf("open browser: %s exited with status %d: %w", name, ee.ExitCode(), ErrNoBrowser)
			}
			return fmt.Errorf("open browser: %w", err)
		}
		return nil
	case <-grace:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("open browser: %w", ctx.Err())
	}
}

// WriteQR draws url as a terminal QR code (half blocks) so a phone can open it.
func WriteQR(w io.Writer, rawURL string) error {
	// qrterminal ignores encoding errors and would dereference a nil code; check first.
	if _, err := qr.Encode(rawURL, qr.L); err != nil {
		return fmt.Errorf("draw QR code: %w", err)
	}
	qrterminal.GenerateWithConfig(rawURL, qrterminal.Config{
		Level:          qr.L,
		Writer:         w,
		HalfBlocks:     true,
		BlackChar:      qrterminal.BLACK_BLACK,
		WhiteBlackChar: qrterminal.WHITE_BLACK,
		WhiteChar:      qrterminal.WHITE_WHITE,
		BlackWhiteChar: qrterminal.BLACK_WHITE,
		QuietZone:      2,
	})
	return nil
}

// maxRedirects bounds the headless walk through the bank's consent pages.
const maxRedirects = 10

// ErrNoRedirect: the headless walk ended somewhere other than our redirect URI.
var ErrNoRedirect = errors.New("the bank did not redirect back to our redirect_uri (is auto-approve on?)")

// FollowToRedirect walks the authorization URL with client, without a browser, until the bank
// redirects to redirectURI, and returns that callback URL unvisited. It is for the sandbox's
// auto-approve mode: a real bank needs a human. Only GET redirects are followed and only over
// http(s).
func FollowToRedirect(ctx context.Context, client *http.Client, authURL, redirectURI string) (string, error) {
	want, err := url.Parse(redirectURI)
	if err != nil {
		return "", fmt.Errorf("follow authorization redirects: bad redirect_uri: %w", err)
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	next := authURL
	for range maxRedirects {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, next, nil)
		if err != nil {
			return "", errors.New("follow authorization redirects: the bank's address is not a valid URL")
		}
		resp, err := c.Do(req)
		if err != nil {
			// *url.Error repeats the URL, which may carry a request_uri; keep only the cause.
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return "", fmt.Errorf("follow authorization redirects: %w", err)
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		_ = resp.Body.Close()
		if resp.StatusCode < 300 || resp.StatusCode > 399 {
			return "", fmt.Errorf("%w: HTTP %d", ErrNoRedirect, resp.StatusCode)
		}
		loc, err := resp.Location()
		if err != nil {
			return "", fmt.Errorf("%w: redirect without Location", ErrNoRedirect)
		}
		if loc.Scheme != "http" && loc.Scheme != "https" {
			return "", fmt.Errorf("%w: redirect to a non-http scheme", ErrNoRedirect)
		}
		if strings.EqualFold(loc.Scheme, want.Scheme) && strings.EqualFold(loc.Host, want.Host) && loc.EscapedPath() == want.EscapedPath() {
			return loc.String(), nil
		}
		next = loc.String()
	}
	return "", fmt.Errorf("%w: more than %d redirects", ErrNoRedirect, maxRedirects)
}
