package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// The two-standards journey (-standards): the same payment intent — 125.50 to Noor Test for
// "Rent March" — made once under UAE Open Finance (delegated SCA: the wallet's PIN and code
// are the SCA, the request is a JWS with the personal data sealed to the bank) and once through
// a Fintecture hub (the wallet's check only guards the wallet; the payer pays on Fintecture's
// Connect page; the request carries an HTTP signature). The account differs as the standards
// do: a UAE IBAN in dirhams, a SEPA IBAN in euros. SCRIPT-STANDARDS.md is the talk.

// demoEUIBAN is the payee's account for the euro payment: the public example French IBAN.
const demoEUIBAN = "FR14 2004 1010 0505 0001 3M02 606"

// journey is the steps the options ask for.
func journey(o options) []step {
	if o.standards {
		return standardsSteps
	}
	return steps
}

// standardsSteps: the UAE onboarding as in the main demo, then the two payments side by side.
var standardsSteps = append(append([]step(nil), steps[:7]...),
	step{"Two banks, two standards", "A UAE bank and a Fintecture hub side by side: currency, who approves, how requests are signed.", (*player).twoBanks},
	step{"Pay under UAE Open Finance", "125.50 AED to Noor Test: the PIN and code are the SCA; a JWS with the payee sealed to the bank.", (*player).payUAE},
	step{"The same payment under Fintecture", "125.50 EUR to Noor Test: the wallet's check, then the payer pays on Fintecture's page.", (*player).payFintecture},
	step{"Both in History", "One history, two standards: each payment names its bank, who approved it and how it was signed.", (*player).bothInHistory},
)

func (p *player) twoBanks(ctx context.Context) error {
	s, err := p.tm.WaitFor(ctx, "Your banks", waitShort)
	if err != nil {
		return err
	}
	for _, want := range []string{"UAE Open Finance", "Fintecture payment session", "in payterm (PIN + code)", "at the bank, each payment"} {
		if !strings.Contains(s, want) {
			return fmt.Errorf("Home's banks do not show %q; screen:\n%s", want, s)
		}
	}
	return p.hold(ctx, 12)
}

// chooseConsent presses p on Home and picks the consent at the Fintecture hub (ft) or the other
// one from "Pay from which consent?", by the number the chooser shows.
func (p *player) chooseConsent(ctx context.Context, ft bool) error {
	if err := p.do(ctx, (*player).home, press("p")); err != nil {
		return err
	}
	s, err := p.tm.WaitMatch(ctx, regexp.MustCompile(`(?m)[12]\. Fintecture Test Hub`), waitShort)
	if err != nil {
		return err
	}
	m := regexp.MustCompile(`(?m)([12])\. Fintecture Test Hub`).FindStringSubmatch(s)
	n := m[1]
	if !ft {
		n = map[string]string{"1": "2", "2": "1"}[n]
	}
	return p.do(ctx, pause(6), typed(n), press("Enter"))
}

func (p *player) payUAE(ctx context.Context) error {
	if err := p.chooseConsent(ctx, false); err != nil {
		return err
	}
	return p.do(ctx,
		waitFor("Purpose", waitShort),
		press("Tab"), typed(demoAmount),
		press("Tab"), typed(demoReference),
		press("Enter"),
		waitFor("You are about to pay", waitShort),
		pause(5),
		press("Enter"),
		waitFor("Authorise", waitShort),
		typed(demoPIN), press("Tab"),
		typedCode(),
		press("Enter"),
		waitFor("Payment Settled", waitLong),
		pause(6),
	)
}

func (p *player) payFintecture(ctx context.Context) error {
	if err := p.chooseConsent(ctx, true); err != nil {
		return err
	}
	s, err := p.tm.WaitFor(ctx, "Paying from Fintecture Test Hub", waitShort)
	if err != nil {
		return err
	}
	if !strings.Contains(s, "Message to the payee required") {
		return fmt.Errorf("the form does not mark Fintecture's message required; screen:\n%s", s)
	}
	err = p.do(ctx,
		pause(4),
		press("Tab"), typed(demoPayee), // payee → payee name (one product: no product row)
		press("Tab"), typed(demoEUIBAN),
		press("Tab"), typed(demoAmount),
		press("Tab"), typed(demoReference),
		press("Enter"),
	)
	if err != nil {
		return err
	}
	if s, err = p.tm.WaitFor(ctx, "You are about to pay", waitShort); err != nil {
		return err
	}
	if !strings.Contains(s, "Fintecture payment session") {
		return fmt.Errorf("the review does not name the standard; screen:\n%s", s)
	}
	err = p.do(ctx,
		pause(6),
		press("Enter"),
		waitFor("Confirm "+demoAmount, waitShort),
		typed(demoPIN), press("Tab"),
		typedCode(),
		press("Enter"),
		waitFor("Approve the payment at Fintecture Test Hub", waitLong),
		pause(5),
		press("o"),
	)
	if err != nil {
		return err
	}
	page, err := p.nthOpenedURL(ctx, 2) // the bank's consent page was the first
	if err != nil {
		return err
	}
	if err := payOnConnectPage(ctx, page, demoAmount+" EUR"); err != nil {
		return err
	}
	fmt.Fprintln(p.out, "      The Connect page: paid at the bank; payterm learns it by polling the hub.")
	return p.do(ctx, waitMatch(regexp.MustCompile(`Executed \(payment_created\)`), waitLong), pause(7))
}

func (p *player) bothInHistory(ctx context.Context) error {
	err := p.do(ctx,
		(*player).home,
		press("h"),
		waitFor("Filter:", waitShort),
		waitMatch(regexp.MustCompile(`Fintecture Test H.*125\.50 EUR`), waitShort),
		pause(7),
		press("Enter"), // the newest: the Fintecture payment
	)
	if err != nil {
		return err
	}
	s, err := p.tm.WaitFor(ctx, "Signed with", waitShort)
	if err != nil {
		return err
	}
	if !strings.Contains(s, "Fintecture payment session") || !strings.Contains(s, "at the bank, each payment") {
		return fmt.Errorf("the payment's detail does not name its standard and approval; screen:\n%s", s)
	}
	if err := p.do(ctx, pause(9), (*player).home, press("q")); err != nil {
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
