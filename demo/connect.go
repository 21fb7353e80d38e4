package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// The demo plays the payer's browser on the Fintecture hub's Connect page (the two-standards
// mode): it loads the page the wallet asked to open, checks it shows the payment, and presses
// "Pay at my bank" (posts the page's own form with its page token). The hub then sends the
// browser to the wallet's redirect address, which nothing serves: payterm learns the outcome
// by polling the hub, as it does when a payer closes the tab.

var (
	connectToken = regexp.MustCompile(`<input[^>]*\bname="page"[^>]*\bvalue="([0-9a-f]{16,128})"`)
	connectPay   = regexp.MustCompile(`<button[^>]*\bname="outcome"[^>]*\bvalue="pay"`)
)

// parseConnectPage reads the page token from the Connect page and checks the page offers to
// pay and shows amount (e.g. "125.50 EUR"). The page is untrusted: nothing in it is echoed
// into an error.
func parseConnectPage(page, amount string) (string, error) {
	m := connectToken.FindStringSubmatch(page)
	if m == nil {
		return "", errors.New("the Connect page has no payment form")
	}
	if !connectPay.MatchString(page) {
		return "", errors.New("the Connect page offers no way to pay")
	}
	if !strings.Contains(html.UnescapeString(page), amount) {
		return "", fmt.Errorf("the Connect page does not show %s", amount)
	}
	return m[1], nil
}

// payOnConnectPage opens pageURL as a browser would and pays there.
func payOnConnectPage(ctx context.Context, pageURL, amount string) error {
	u, err := url.Parse(pageURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !strings.HasPrefix(u.Path, "/connect/") {
		return errors.New("the wallet opened an address that is not a Connect page")
	}
	// The hub's answer to the form is a redirect to the wallet's redirect URI: not followed.
	client := &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("open the Connect page: %w", err)
	}
	resp, err := fetch(client, req)
	if err != nil {
		return fmt.Errorf("open the Connect page: %w", err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("read the Connect page: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the Connect page answered %s", resp.Status)
	}
	token, err := parseConnectPage(string(body), amount)
	if err != nil {
		return err
	}
	vals := url.Values{"page": {token}, "outcome": {"pay"}}
	post, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(vals.Encode()))
	if err != nil {
		return fmt.Errorf("pay on the Connect page: %w", err)
	}
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = fetch(client, post)
	if err != nil {
		return fmt.Errorf("pay on the Connect page: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode/100 != 3 && resp.StatusCode != http.StatusOK {
		return fmt.Errorf("paying on the Connect page answered HTTP %d", resp.StatusCode)
	}
	return nil
}
