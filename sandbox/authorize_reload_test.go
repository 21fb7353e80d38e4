package sandbox

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// browserSession is a cookie-keeping browser without JavaScript that does not follow redirects.
type browserSession struct {
	t *testing.T
	c *http.Client
}

func newBrowserSession(t *testing.T) *browserSession {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browserSession{t: t, c: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// open GETs the authorize URL and returns the status, the page's hidden fields and the
// interaction id the bank's verdict is filed under.
func (s *browserSession) open(u string) (int, url.Values, string) {
	s.t.Helper()
	resp, err := s.c.Get(u)
	if err != nil {
		s.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fields := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(string(page), -1) {
		fields.Set(m[1], m[2])
	}
	return resp.StatusCode, fields, resp.Header.Get("x-fapi-interaction-id")
}

// TestAuthorizeReload: a reload of the consent page in the browser that opened it shows the same
// page (same session and CSRF token) instead of "request_uri already used"; the request_uri
// stays single-use for everyone else, and once the user has decided a reload is refused too.
func TestAuthorizeReload(t *testing.T) {
	b := newBank(t, nil)
	c := newTPP(t, b)
	uri, ro := c.pushed(consentPII(creditor(testIBAN, "Ivan England")))
	page := c.authorizeURL(uri)

	user := newBrowserSession(t)
	st, first, _ := user.open(page)
	if st != http.StatusOK || first.Get("session") == "" || first.Get("csrf") == "" {
		t.Fatalf("first open: %d %v", st, first)
	}
	st, again, id := user.open(page)
	if st != http.StatusOK || again.Get("session") != first.Get("session") || again.Get("csrf") != first.Get("csrf") {
		t.Fatalf("reload: %d, same session %v, same csrf %v", st, again.Get("session") == first.Get("session"), again.Get("csrf") == first.Get("csrf"))
	}
	if got := failedRule(b, id); got != -1 {
		t.Fatalf("reload verdict names rule %d as failed", got)
	}

	// Only the same URL reloads: the user's browser with another response_type is refused.
	if st, _, id := user.open(strings.Replace(page, "response_type=code", "response_type=token", 1)); st != http.StatusBadRequest || failedRule(b, id) != 22 {
		t.Fatalf("reload with response_type token: %d", st)
	}

	// Another browser, with no cookie or with a reload cookie it made up, is refused.
	stranger := newBrowserSession(t)
	if st, _, id := stranger.open(page); st != http.StatusBadRequest || failedRule(b, id) != 22 {
		t.Fatalf("another browser: %d, rule %d", st, failedRule(b, id))
	}
	pageURL, _ := url.Parse(page)
	stranger.c.Jar.SetCookies(pageURL, []*http.Cookie{{Name: reloadCookieName(uri), Value: "guessed", Path: "/authorize"}})
	if st, _, _ := stranger.open(page); st != http.StatusBadRequest {
		t.Fatalf("another browser with a made-up reload cookie: %d", st)
	}
	// The user's cookie does not open another consent's used request_uri.
	uri2, _ := c.pushed(consentPII())
	if st, _, _ := newBrowserSession(t).open(c.authorizeURL(uri2)); st != http.StatusOK {
		t.Fatalf("open the second consent: %d", st)
	}
	for _, ck := range user.c.Jar.Cookies(pageURL) {
		if strings.HasPrefix(ck.Name, "reload_") {
			stranger.c.Jar.SetCookies(pageURL, []*http.Cookie{{Name: reloadCookieName(uri2), Value: ck.Value, Path: "/authorize"}})
		}
	}
	if st, _, _ := stranger.open(c.authorizeURL(uri2)); st != http.StatusBadRequest {
		t.Fatalf("one consent's reload cookie opened another's page: %d", st)
	}

	// The reloaded page's form still decides; after that a reload is refused.
	form := url.Values{"decision": {"approve"}, "session": {again.Get("session")}, "csrf": {again.Get("csrf")}}
	resp, err := user.c.PostForm(strings.TrimSuffix(c.disc.Authorization, "/authorize")+"/authorize/decision", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Query().Get("code") == "" || loc.Query().Get("state") != ro["state"] {
		t.Fatalf("decision from the reloaded page: %d %v", resp.StatusCode, loc)
	}
	if st, _, id := user.open(page); st != http.StatusBadRequest || failedRule(b, id) != 22 {
		t.Fatalf("reload after the decision: %d, rule %d", st, failedRule(b, id))
	}
}
