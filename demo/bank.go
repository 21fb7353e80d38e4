package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// The demo plays the user's browser at the sandbox bank: it loads the consent page the wallet
// asked to open, reads what the page says, and presses Approve (posts the page's own form with
// its session and CSRF token). The bank then redirects to the wallet's loopback listener, as a
// browser would follow it.

// consentForm is what the demo needs from the bank's consent page.
type consentForm struct {
	Action   string   // where the form posts (relative to the page)
	Session  string   // hidden field "session"
	CSRF     string   // hidden field "csrf"
	Payees   []string // the page's "Who you're paying" list, as shown
	Delegate bool     // the page says the TPP will authenticate each payment (delegated SCA)
}

var (
	formAction  = regexp.MustCompile(`<form[^>]*\baction="([^"]*)"`)
	hiddenInput = regexp.MustCompile(`<input[^>]*\bname="(session|csrf)"[^>]*\bvalue="([^"]*)"`)
	payeeItem   = regexp.MustCompile(`<li>([^<]{1,200})</li>`)
	approveBtn  = regexp.MustCompile(`<button[^>]*\bname="decision"[^>]*\bvalue="approve"`)
)

// parseConsentPage reads the bank's consent page. The page is untrusted input: anything
// missing or malformed is an error, and nothing in it is echoed into the error.
func parseConsentPage(page string) (consentForm, error) {
	var f consentForm
	m := formAction.FindStringSubmatch(page)
	if m == nil {
		return f, errors.New("the bank's page has no consent form")
	}
	f.Action = html.UnescapeString(m[1])
	for _, h := range hiddenInput.FindAllStringSubmatch(page, -1) {
		switch h[1] {
		case "session":
			f.Session = html.UnescapeString(h[2])
		case "csrf":
			f.CSRF = html.UnescapeString(h[2])
		}
	}
	if f.Session == "" || f.CSRF == "" {
		return f, errors.New("the bank's consent form lacks its session or CSRF field")
	}
	if !approveBtn.MatchString(page) {
		return f, errors.New("the bank's consent form has no Approve button")
	}
	for _, li := range payeeItem.FindAllStringSubmatch(page, -1) {
		f.Payees = append(f.Payees, strings.TrimSpace(html.UnescapeString(li[1])))
	}
	f.Delegate = strings.Contains(page, "delegated strong customer authentication")
	return f, nil
}

// approveAtBank opens authorizeURL as a browser would and approves the consent. With the
// sandbox's auto_approve the first request already redirects to the wallet, and page is nil.
func approveAtBank(ctx context.Context, authorizeURL string) (*consentForm, error) {
	u, err := url.Parse(authorizeURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("the wallet opened an address that is not an http(s) URL")
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, fmt.Errorf("cookie jar: %w", err)
	}
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("open the bank's page: %w", err)
	}
	resp, err := fetch(client, req)
	if err != nil {
		return nil, fmt.Errorf("open the bank's page: %w", err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read the bank's page: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the bank's page answered %s", resp.Status)
	}
	if resp.Request.URL.Host != u.Host {
		return nil, nil // auto-approved: the bank redirected straight to the wallet's callback
	}
	form, err := parseConsentPage(string(body))
	if err != nil {
		return nil, err
	}
	action, err := resp.Request.URL.Parse(form.Action)
	if err != nil || action.Host != u.Host {
		return nil, errors.New("the bank's consent form posts somewhere other than the bank")
	}
	vals := url.Values{"session": {form.Session}, "csrf": {form.CSRF}, "decision": {"approve"}, "debtor": {"0"}}
	post, err := http.NewRequestWithContext(ctx, http.MethodPost, action.String(), strings.NewReader(vals.Encode()))
	if err != nil {
		return nil, fmt.Errorf("approve at the bank: %w", err)
	}
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = fetch(client, post) // follows the redirect to the wallet's loopback listener
	if err != nil {
		return nil, fmt.Errorf("approve at the bank: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Host == u.Host {
		return nil, fmt.Errorf("approving at the bank ended at %s (HTTP %d), not at the wallet", resp.Request.URL.Path, resp.StatusCode)
	}
	return &form, nil
}

// fetch is client.Do with the address dropped from a failure: after a redirect the address is
// the wallet's callback, whose query carries the authorization code, and the demo prints its
// errors.
func fetch(client *http.Client, req *http.Request) (*http.Response, error) {
	resp, err := client.Do(req)
	var ue *url.Error
	if errors.As(err, &ue) {
		return nil, fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return resp, err
}
