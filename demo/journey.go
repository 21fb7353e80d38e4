package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/payterm/payterm/internal/tmuxterm"
	"github.com/payterm/payterm/internal/totpkey"
)

// The demo user. The PIN passes the wallet's weak-PIN rules; the payee is visibly fake and the
// IBAN is the standard's public example.
const (
	demoPIN       = "482915"
	demoPayee     = "Noor Test"
	demoIBAN      = "AE07 0331 2345 6789 0123 456"
	demoAmount    = "125.50"
	demoReference = "Rent March"
)

// Waits are generous: a shared CI machine running -race is slow, and a passing wait returns
// as soon as its text shows.
const (
	waitShort = 30 * time.Second
	waitLong  = 90 * time.Second
)

// player plays the journey on one running payterm.
type player struct {
	tm      *tmuxterm.Term
	auth    *totpkey.Source // the audience's authenticator app, from the enrolment step on
	out     io.Writer       // narration (and screens with -show) in detached mode
	fast    bool
	pace    float64
	show    bool
	narrate bool   // the audience is attached: narration goes to the tmux status line too
	browser bool   // the presenter approves in a real browser; the demo only waits
	urlFile string // where the xdg-open shim records the addresses payterm opens
	steps   []step // the journey played (journey)
	n       int
}

// step is one beat of the demo; its title is a heading of SCRIPT.md (a test checks).
type step struct {
	title string
	cue   string // one line, shown to the audience on the status line
	play  func(p *player, ctx context.Context) error
}

// steps is the journey, in order. SCRIPT.md says what to tell the audience at each one.
var steps = []step{
	{"Start on the embedded sandbox", "No config, no network: payterm starts its own strict sandbox bank.", (*player).start},
	{"Choose a PIN", "Knowledge factor: a PIN that only unwraps the device key. No PIN hash is stored.", (*player).choosePIN},
	{"Enrol the authenticator", "Possession factor: a TOTP key, active only after one valid code.", (*player).enrolTOTP},
	{"Keep the recovery code", "Shown once, never stored: it re-wraps the device key if payments get blocked.", (*player).recoveryCode},
	{"Name the payee", "The consent names one payee: the bank will refuse payments to anyone else.", (*player).namePayee},
	{"Read the consent", "Delegated SCA: the bank will not ask again; payterm authenticates each payment.", (*player).readConsent},
	{"Approve at the bank", "The only time the bank authenticates the user: PAR, the bank's page, the callback.", (*player).approveAtBank},
	{"Pay with delegated SCA", "PIN + code + a device-key signature over amount and payee, then a signed payment.", (*player).pay},
	{"Open the inspector", "Every step of the protocol, as sent and as verified. Secrets are redacted.", (*player).inspect},
	{"Revoke the consent", "Cancelling in payterm revokes the consent at the bank itself.", (*player).revoke},
	{"Payments are refused", "No active consent: the wallet refuses before anything leaves the machine.", (*player).refused},
}

// announce tells the audience (and the narrator) which step this is.
func (p *player) announce(s step) error {
	p.n++
	fmt.Fprintf(p.out, "\n[%d/%d] %s\n      %s\n", p.n, len(p.steps), s.title, s.cue)
	if p.narrate {
		return narrate(p.tm, fmt.Sprintf("%d/%d  %s", p.n, len(p.steps), s.title), s.cue)
	}
	return nil
}

// hold pauses so the audience can read the screen (seconds at pace 1; none in fast mode).
func (p *player) hold(ctx context.Context, seconds float64) error {
	if p.show {
		if s, err := p.tm.Screen(); err == nil {
			fmt.Fprintf(p.out, "%s\n%s\n", strings.Repeat("─", tmuxterm.Width), s)
		}
	}
	if p.fast {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return errStopped
	case <-time.After(time.Duration(seconds * p.pace * float64(time.Second))):
		return nil
	}
}

// typ types text at a human pace (at once in fast mode), so the audience sees it arrive.
func (p *player) typ(ctx context.Context, text string) error {
	if p.fast {
		return p.tm.Type(text)
	}
	for _, r := range text {
		if err := p.tm.Type(string(r)); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return errStopped
		case <-time.After(time.Duration(70 * p.pace * float64(time.Millisecond))):
		}
	}
	return nil
}

// act is one thing the player does at the keyboard or the screen; do plays a run of them.
type act func(p *player, ctx context.Context) error

// press sends one tmux key name or character.
func press(key string) act {
	return func(p *player, _ context.Context) error { return p.tm.Press(key) }
}

// typed types text at the player's pace.
func typed(text string) act {
	return func(p *player, ctx context.Context) error { return p.typ(ctx, text) }
}

// typedCode types the authenticator's next TOTP code.
func typedCode() act {
	return func(p *player, ctx context.Context) error {
		if p.auth == nil {
			return errors.New("no authenticator: the enrolment step was not played")
		}
		code, err := p.auth.Next(ctx)
		if err != nil {
			return err
		}
		return p.typ(ctx, code)
	}
}

// waitFor waits until text shows on the screen.
func waitFor(text string, timeout time.Duration) act {
	return func(p *player, ctx context.Context) error {
		_, err := p.tm.WaitFor(ctx, text, timeout)
		return err
	}
}

// waitMatch waits until re matches the screen.
func waitMatch(re *regexp.Regexp, timeout time.Duration) act {
	return func(p *player, ctx context.Context) error {
		_, err := p.tm.WaitMatch(ctx, re, timeout)
		return err
	}
}

// pause holds the screen for the audience (see hold).
func pause(seconds float64) act {
	return func(p *player, ctx context.Context) error { return p.hold(ctx, seconds) }
}

// selected moves the inspector's selection to a step (see selectStep).
func selected(name, key string) act {
	return func(p *player, ctx context.Context) error {
		_, err := p.selectStep(ctx, name, key)
		return err
	}
}

// scrolledTo pages the inspector's detail until text shows (see scrollTo).
func scrolledTo(text string) act {
	return func(p *player, ctx context.Context) error { return p.scrollTo(ctx, text) }
}

// do plays acts in order and stops at the first error.
func (p *player) do(ctx context.Context, acts ...act) error {
	for _, a := range acts {
		if err := a(p, ctx); err != nil {
			return err
		}
	}
	return nil
}

func (p *player) start(ctx context.Context) error {
	return p.do(ctx, waitFor("Welcome to payterm", waitLong), pause(6))
}

func (p *player) choosePIN(ctx context.Context) error {
	return p.do(ctx,
		press("Enter"),
		waitFor("Choose a PIN", waitShort),
		typed(demoPIN), press("Enter"), // choose
		typed(demoPIN), press("Enter"), // confirm
	)
}

func (p *player) enrolTOTP(ctx context.Context) error {
	s, err := p.tm.WaitMatch(ctx, totpkey.KeyLine, waitLong) // argon2id wraps the new device key first
	if err != nil {
		return err
	}
	key, err := totpkey.FromScreen(s)
	if err != nil {
		return err
	}
	if p.auth, err = totpkey.NewSource(key, totpkey.Options{}); err != nil {
		return err
	}
	return p.do(ctx, pause(6), typedCode(), press("Enter"))
}

func (p *player) recoveryCode(ctx context.Context) error {
	return p.do(ctx, waitFor("Write down this recovery code", waitLong), pause(5), press("Enter"))
}

func (p *player) namePayee(ctx context.Context) error {
	return p.do(ctx,
		waitFor("Who will you pay?", waitShort),
		press("Left"), // two to ten payees → one payee
		waitFor("one payee", waitShort),
		press("Tab"), typed(demoPayee),
		press("Tab"), typed(demoIBAN),
		press("Enter"),
		waitFor("1. "+demoPayee, waitShort),
		pause(4),
		press("Enter"), // an empty form continues
	)
}

func (p *player) readConsent(ctx context.Context) error {
	s, err := p.tm.WaitFor(ctx, "Your consent", waitShort)
	if err != nil {
		return err
	}
	if !strings.Contains(s, "Who you can pay: "+demoPayee) {
		return fmt.Errorf("the consent page does not name the payee; screen:\n%s", s)
	}
	return p.do(ctx, pause(9), press("Enter"))
}

func (p *player) approveAtBank(ctx context.Context) error {
	if err := p.do(ctx, waitFor("Approve the consent at your bank", waitLong), pause(5), press("o")); err != nil {
		return err
	}
	if p.browser {
		fmt.Fprintln(p.out, "      Approve the consent in the browser window that opened.")
	} else {
		addr, err := p.openedURL(ctx)
		if err != nil {
			return err
		}
		form, err := approveAtBank(ctx, addr)
		if err != nil {
			return err
		}
		if form != nil {
			if !form.Delegate || !slicesContainsPrefix(form.Payees, demoPayee) {
				return fmt.Errorf("the bank's page does not describe a delegated-SCA consent to %s", demoPayee)
			}
			fmt.Fprintf(p.out, "      The bank's page: delegated SCA, paying %s. Approved.\n", strings.Join(form.Payees, ", "))
		} else {
			fmt.Fprintln(p.out, "      The sandbox approved at once (auto_approve).")
		}
	}
	s, err := p.tm.WaitFor(ctx, "You are set up.", 5*time.Minute)
	if err != nil {
		return err
	}
	if !strings.Contains(s, "Active") {
		return fmt.Errorf("the consent is not shown Active; screen:\n%s", s)
	}
	return p.do(ctx, pause(6), press("Enter"), waitFor("Recent payments", waitShort), pause(6))
}

func slicesContainsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// openedURL waits for the address payterm handed to xdg-open (the demo's shim records it).
func (p *player) openedURL(ctx context.Context) (string, error) { return p.nthOpenedURL(ctx, 1) }

// nthOpenedURL waits for the n-th address payterm handed to xdg-open (1 = the first).
func (p *player) nthOpenedURL(ctx context.Context, n int) (string, error) {
	deadline := time.Now().Add(waitShort)
	for {
		raw, err := os.ReadFile(p.urlFile)
		if err == nil {
			if f := strings.Fields(string(raw)); len(f) >= n {
				if _, err := url.Parse(f[n-1]); err != nil {
					return "", fmt.Errorf("payterm opened an address that does not parse: %w", err)
				}
				return f[n-1], nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("payterm did not open the bank's address within %s", waitShort)
		}
		select {
		case <-ctx.Done():
			return "", errStopped
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (p *player) pay(ctx context.Context) error {
	err := p.do(ctx,
		press("p"),
		waitFor("Purpose", waitShort),
		press("Tab"), typed(demoAmount),
		press("Tab"), typed(demoReference),
		press("Enter"),
		waitFor("You are about to pay", waitShort),
		pause(7),
		press("Enter"),
		waitFor("Authorise", waitShort),
		typed(demoPIN), press("Tab"),
		typedCode(), pause(2),
		press("Enter"),
	)
	if err != nil {
		return err
	}
	s, err := p.tm.WaitMatch(ctx, regexp.MustCompile(`Payment Settled|The bank rejected the payment|The payment was not made|not correct`), waitLong)
	if err != nil {
		return err
	}
	if !strings.Contains(s, "Payment Settled") {
		return fmt.Errorf("the payment did not settle; screen:\n%s", s)
	}
	return p.hold(ctx, 8)
}

// selectStep moves the inspector's selection to the step whose title starts with name.
func (p *player) selectStep(ctx context.Context, name, key string) (string, error) {
	want := regexp.MustCompile(`(?m)^> ● ` + regexp.QuoteMeta(name))
	for range 12 {
		s, err := p.tm.Screen()
		if err != nil {
			return "", err
		}
		if want.MatchString(s) {
			return s, nil
		}
		if err := p.tm.Press(key); err != nil {
			return "", err
		}
		if err := sleep(ctx, 150*time.Millisecond); err != nil {
			return "", err
		}
	}
	return p.tm.WaitMatch(ctx, want, time.Second)
}

// scrollTo pages the inspector's detail down until text shows.
func (p *player) scrollTo(ctx context.Context, text string) error {
	s, err := p.tm.Screen()
	for range 40 {
		if err != nil {
			return err
		}
		if strings.Contains(s, text) {
			return nil
		}
		if err := p.tm.Press("PageDown"); err != nil {
			return err
		}
		// Wait for the page to move before looking again (at the end it no longer moves).
		prev := s
		for range 20 {
			if err := sleep(ctx, 100*time.Millisecond); err != nil {
				return err
			}
			if s, err = p.tm.Screen(); err != nil || s != prev {
				break
			}
		}
	}
	_, err = p.tm.WaitFor(ctx, text, time.Second)
	return err
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return errStopped
	case <-time.After(d):
		return nil
	}
}

func (p *player) inspect(ctx context.Context) error {
	err := p.do(ctx,
		press("i"),
		waitFor("payterm · Inspector", waitShort),
		waitFor("GET /payments/{id} until final", waitShort),
		pause(5),
		// The wallet's own SCA: factors, outcome, and the device-key JWS over the payment.
		selected("SCA in payterm", "Up"),
		pause(8),
		press("PageDown"),
	)
	if err != nil {
		return err
	}
	s, err := p.tm.WaitFor(ctx, "amr:", waitShort)
	if err != nil {
		return err
	}
	if !strings.Contains(s, "amount: "+demoAmount) {
		return fmt.Errorf("the dynamic-linking payload does not show the amount; screen:\n%s", s)
	}
	return p.do(ctx,
		pause(9),
		// The consent's PAR: the one time the bank was asked for anything long-lived.
		selected("PAR", "Up"),
		pause(7),
		// The payment: signed request, sealed PII, verified 201.
		selected("POST /payments", "Down"),
		pause(6),
		scrolledTo("JWE header"),
		pause(8),
		scrolledTo("Sandbox bank verdicts"),
		pause(8),
		press("Escape"), // back to the receipt
		(*player).home,
	)
}

// home presses esc until Home shows.
func (p *player) home(ctx context.Context) error {
	for range 5 {
		s, err := p.tm.Screen()
		if err != nil {
			return err
		}
		if strings.Contains(s, "payterm · Home") {
			return nil
		}
		if err := p.tm.Press("Escape"); err != nil {
			return err
		}
		if err := sleep(ctx, 300*time.Millisecond); err != nil {
			return err
		}
	}
	_, err := p.tm.WaitFor(ctx, "payterm · Home", waitShort)
	return err
}

func (p *player) revoke(ctx context.Context) error {
	return p.do(ctx,
		press("c"),
		waitMatch(regexp.MustCompile(`(?m)^> .*Active`), waitShort), // the list, not Home
		press("Enter"),
		waitFor("Consent id", waitShort),
		pause(5),
		press("X"),
		waitFor("Cancel permission?", waitShort),
		pause(5),
		press("y"),
		waitFor("Permission cancelled", waitLong),
		pause(6),
	)
}

func (p *player) refused(ctx context.Context) error {
	err := p.do(ctx,
		(*player).home,
		press("p"),
		waitFor("No active consent: press n", waitShort),
		pause(8),
		press("q"),
	)
	if err != nil {
		return err
	}
	code, err := p.tm.WaitExit(ctx, waitShort)
	if err != nil {
		return fmt.Errorf("payterm did not quit on q: %w", err)
	}
	if code != 0 {
		return fmt.Errorf("payterm exited with status %d", code)
	}
	return nil
}
