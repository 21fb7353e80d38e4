package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// `payterm reset` is the last resort when the PIN, the authenticator or the recovery code is
// lost, or recovery is locked. sca.Reset alone would leave the consents at the bank bound to
// the old device binding id, which sca's contract says the wallet must never use again; so the
// reset revokes them first, and the user authorises a new consent at the bank afterwards.
//
// Order, so that a crash anywhere is finished by running the reset again:
//  1. the ledger records that a reset started, and which consents it found (from here on,
//     Open refuses to run the wallet until a reset completes);
//  2. payments still in flight are settled, as every start does, while their tokens exist;
//  3. every bank login session (SpareBank 1) is deleted from the secret store, whatever state
//     its link is in (forgetSessions);
//  4. every consent that is not terminal is revoked at the bank — or, when the bank cannot
//     confirm, marked Revoked locally with RevokedBy revokedByReset so it never pays again;
//     the next reset asks the bank again for those;
//  5. every consent's refresh token is deleted;
//  6. sca.Reset deletes the PIN-wrapped device key, the TOTP seed and the counters, and the
//     ledger forgets its onboarding time (the next consent records a new one);
//  7. the ledger records that the reset completed.
//
// Each step is idempotent. Payments, payees and limits stay in the ledger.

// ResetWord is what the user types to confirm a reset.
const ResetWord = "reset"

// revokedByReset marks, in the ledger's RevokedBy, a consent the reset could not revoke at the
// bank. It is not a value of the standard and is never sent: it records that only this wallet
// treats the consent as revoked.
const revokedByReset = "payterm.reset:unconfirmed-by-bank"

// settleTimeout bounds how long a reset waits for payments in flight before going on.
const settleTimeout = time.Minute

// ResetConfirmation is how a reset gets the user's go-ahead.
type ResetConfirmation struct {
	// Yes skips the question (--yes, for scripts).
	Yes bool
	// In is the terminal the confirmation word is typed on; nil when there is none.
	In io.Reader
}

var (
	// ErrResetNeedsConfirmation: no --yes and no terminal to ask on. Nothing was changed.
	ErrResetNeedsConfirmation = errors.New("reset asks you to type a confirmation word, but stdin is not a terminal: run payterm reset in a terminal, or pass --yes to reset without asking")
	// ErrResetDeclined: the user did not type the word. Nothing was changed.
	ErrResetDeclined = errors.New("reset cancelled: nothing was changed")
)

// Reset is `payterm reset`: it explains what will happen, asks for confirmation, then revokes
// the consents, deletes their tokens and the SCA enrolment, and keeps the history. It refuses
// while another payterm holds the data dir. Running it again after an interruption finishes
// the job; on a wallet with nothing left to undo it does nothing harmful.
func Reset(ctx context.Context, cfg config.Config, opts Options, confirm ResetConfirmation, out io.Writer) (err error) {
	if !confirm.Yes && confirm.In == nil {
		return ErrResetNeedsConfirmation
	}
	// Everything the reset prints passes one cleaning writer: consent ids, the bank's statuses
	// and why a bank could not be reached are not payterm's text (issue 11).
	sw := safetext.NewWriter(out)
	defer func() { err = errors.Join(err, sw.Flush()) }()
	out = sw
	dir := cfg.ResolvedDataDir()
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(out, "Nothing to reset: there is no payterm data in %s.\n", dir)
		return nil
	}
	opts.resetting = true
	a, err := Open(ctx, cfg, opts)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, a.Close()) }()
	return a.reset(ctx, confirm, out)
}

// resetPlan is what a reset will do, read before the user is asked.
type resetPlan struct {
	all         []wallet.Consent
	revoke      []wallet.Consent // not terminal, or marked unusable by an earlier reset
	openPays    int
	payments    int
	enrolled    bool
	interrupted *resetRecord
}

func (a *App) planReset(ctx context.Context) (resetPlan, error) {
	var p resetPlan
	var err error
	if p.all, err = a.ledger.Consents(ctx); err != nil {
		return p, err
	}
	for _, c := range p.all {
		if !c.Status.Terminal() || (c.Status == wallet.ConsentRevoked && c.RevokedBy == revokedByReset) {
			p.revoke = append(p.revoke, c)
		}
	}
	open, err := a.ledger.OpenPayments(ctx)
	if err != nil {
		return p, err
	}
	p.openPays = len(open)
	if p.payments, err = a.ledger.CountPayments(ctx, wallet.HistoryFilter{}); err != nil {
		return p, err
	}
	p.enrolled = a.auth.Status().Enrolled
	rec, ok, err := a.loadResetRecord(ctx)
	switch {
	case errors.Is(err, errResetRecordDamaged):
		p.interrupted = &resetRecord{} // finished and rewritten like an interrupted reset
	case err != nil:
		return p, err
	case ok && rec.pending():
		p.interrupted = &rec
	}
	return p, nil
}

func (a *App) reset(ctx context.Context, confirm ResetConfirmation, out io.Writer) error {
	plan, err := a.planReset(ctx)
	if err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	a.explainReset(out, plan)
	if !confirm.Yes {
		if confirm.In == nil {
			return ErrResetNeedsConfirmation
		}
		fmt.Fprintf(out, "\nType %q to go ahead, anything else to cancel: ", ResetWord)
		ok, err := readConfirmation(ctx, confirm.In)
		fmt.Fprintln(out)
		if err != nil {
			return err
		}
		if !ok {
			return ErrResetDeclined
		}
	}

	rec := resetRecord{Started: a.opts.Clock()}
	if plan.interrupted != nil && !plan.interrupted.Started.IsZero() {
		rec.Started = plan.interrupted.Started
	}
	for _, c := range plan.all {
		rec.Consents = append(rec.Consents, c.ID)
	}
	if err := a.saveResetRecord(ctx, rec); err != nil {
		return err
	}

	stillOpen := 0
	if plan.openPays > 0 {
		fmt.Fprintf(out, "Settling %d payment(s) still in progress…\n", plan.openPays)
		sctx, cancel := context.WithTimeout(ctx, settleTimeout)
		_ = a.wallet.Resume(sctx, nil) // best effort: what is still open is reported below
		cancel()
		if err := ctx.Err(); err != nil {
			return err
		}
		open, err := a.ledger.OpenPayments(ctx)
		if err != nil {
			return fmt.Errorf("reset: %w", err)
		}
		stillOpen = len(open)
	}

	// A bank login session (SpareBank 1's PSU session) is a bearer secret of the payer's: it
	// goes once the payments in flight no longer need it, whatever state its link is in —
	// ending a link deletes it, but a link ended before a crash, or a bank since dropped from
	// the config, may have left one behind.
	sessions, err := a.forgetSessions(plan.all)
	if err != nil {
		return fmt.Errorf("reset: %w", err)
	}

	var revoked, ended, marked int
	for _, c := range plan.revoke {
		res, err := a.revokeForReset(ctx, c)
		if err != nil {
			return fmt.Errorf("reset: consent %s: %w", c.ID, err)
		}
		switch res.how {
		case revokedAtBank:
			revoked++
			fmt.Fprintf(out, "Consent %s: revoked at the bank.\n", c.ID)
		case endedAtBank:
			ended++
			fmt.Fprintf(out, "Consent %s: the bank reports it %s already.\n", c.ID, res.status)
		case markedLocally:
			marked++
			fmt.Fprintf(out, "Consent %s: not revoked at the bank. %s\n  It is marked unusable on this device, so it can never pay from this wallet again,\n  but the bank may still list it: revoke it in your bank's app or website too,\n  or run payterm reset again later to retry.\n", c.ID, res.reason)
		}
	}

	for _, c := range plan.all {
		if err := a.tokens.Forget(ctx, c.ID); err != nil {
			return fmt.Errorf("reset: consent %s: %w", c.ID, err)
		}
	}
	if err := a.forgetOPTokens(); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	fmt.Fprintf(out, "Deleted the refresh tokens of %d consent(s).\n", len(plan.all))
	if sessions > 0 {
		fmt.Fprintf(out, "Deleted %d bank login session(s) (you log in at the bank again at the next payment there).\n", sessions)
	}

	if err := a.auth.Reset(); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	fmt.Fprintln(out, "Deleted the PIN, the authenticator secret and the device key.")
	// Onboarding starts over: status says "not onboarded" until a new consent is recorded.
	if err := a.ledger.ClearOnboarded(ctx); err != nil {
		return fmt.Errorf("reset: %w", err)
	}

	rec.Completed = a.opts.Clock()
	if err := a.saveResetRecord(ctx, rec); err != nil {
		return err
	}

	fmt.Fprintf(out, "\nReset complete. Kept: your payment history (%d payment(s)), payees and limits.\n", plan.payments)
	if stillOpen > 0 {
		fmt.Fprintf(out, "%d payment(s) were still in progress at the bank; the wallet can no longer ask about them: check them in your bank's app.\n", stillOpen)
	}
	if marked > 0 {
		fmt.Fprintf(out, "%d consent(s) could not be revoked at the bank (see above).\n", marked)
	}
	fmt.Fprintln(out, "Remove payterm's entry from your authenticator app. Start payterm to choose a new PIN, add the")
	fmt.Fprintln(out, "authenticator again and authorise a new consent at your bank.")
	return nil
}

// explainReset says exactly what the reset will do on this wallet.
func (a *App) explainReset(out io.Writer, p resetPlan) {
	fmt.Fprintf(out, "payterm reset — the last resort when the PIN, the authenticator or the recovery code is lost.\n\n")
	switch {
	case p.interrupted != nil && p.interrupted.Started.IsZero():
		fmt.Fprintf(out, "The record of an earlier reset is damaged; this run does the reset again in full.\n\n")
	case p.interrupted != nil:
		fmt.Fprintf(out, "A reset started on %s did not finish; this run finishes it.\n\n", p.interrupted.Started.Local().Format("2 Jan 2006 15:04"))
	}
	fmt.Fprintf(out, "On the wallet in %s this will:\n", a.dir)
	if len(p.revoke) == 0 {
		fmt.Fprintf(out, "  1. revoke no consent at the bank: none can pay any more.\n")
	} else {
		fmt.Fprintf(out, "  1. revoke %d payment consent(s) at the bank (Status Revoked, RevokedBy TPP.InitiatedByUser):\n", len(p.revoke))
		for _, c := range p.revoke {
			status := string(c.Status)
			if c.RevokedBy == revokedByReset {
				status = "marked unusable here by an earlier reset; asking the bank again"
			}
			fmt.Fprintf(out, "       %s at %s (%s, expires %s)\n", c.ID, a.bankName(c.Bank), status, c.Expires.Local().Format("2 Jan 2006"))
		}
		fmt.Fprintf(out, "     If the bank cannot be reached, a consent is marked unusable on this device instead\n     and you are told to revoke it at your bank as well.\n")
	}
	if p.openPays > 0 {
		fmt.Fprintf(out, "     First, the %d payment(s) still in progress are settled with the bank.\n", p.openPays)
	}
	fmt.Fprintf(out, "  2. delete the consents' refresh tokens and any bank login session (SpareBank 1) from the\n     secret store: %s.\n", a.secretStoreLabel())
	if p.enrolled {
		fmt.Fprintf(out, "  3. delete the PIN, the authenticator secret and the device key: this device is unbound,\n     and the recovery code stops working.\n")
	} else {
		fmt.Fprintf(out, "  3. delete what is left of the PIN, the authenticator and the device key (none is set up).\n")
	}
	fmt.Fprintf(out, "  4. keep your payment history (%d payment(s)), payees and limits.\n", p.payments)
	fmt.Fprintf(out, "Afterwards, payterm sets up a new PIN and authenticator and sends you to your bank to\nauthorise a new consent.\n")
}

// readConfirmation reads one line and reports whether it is ResetWord. Ctrl-C (ctx) stops the
// wait; the read itself cannot be interrupted, so it runs on its own goroutine.
func readConfirmation(ctx context.Context, in io.Reader) (bool, error) {
	type answer struct {
		line string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(in).ReadString('\n')
		ch <- answer{line, err}
	}()
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case ans := <-ch:
		if ans.err != nil && !errors.Is(ans.err, io.EOF) {
			return false, fmt.Errorf("read the confirmation: %w", ans.err)
		}
		return strings.TrimSpace(ans.line) == ResetWord, nil
	}
}

type revokeHow int

const (
	revokedAtBank revokeHow = iota + 1
	endedAtBank             // the bank had ended it already (revoked elsewhere, expired…)
	markedLocally           // the bank could not confirm: unusable in this wallet only
)

type revokeResult struct {
	how    revokeHow
	status string // endedAtBank: the bank's status
	reason string // markedLocally: why the bank could not be told, one sentence
}

// revokeForReset revokes one consent at the bank, best effort. A bank or network failure is
// not an error of the reset: the consent is marked revoked locally (revokedByReset). Only a
// cancelled context or a ledger failure stops the reset, which a re-run then finishes.
func (a *App) revokeForReset(ctx context.Context, c wallet.Consent) (revokeResult, error) {
	err := a.wallet.RevokeConsent(ctx, c.ID)
	if err == nil {
		return revokeResult{how: revokedAtBank}, nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return revokeResult{}, cerr
	}
	// RevokeConsent records the revocation before it forgets the tokens; a failure to forget
	// them is retried by the token step below, so the revocation stands.
	if cur, lerr := a.ledger.Consent(ctx, c.ID); lerr == nil && cur.Status == wallet.ConsentRevoked && cur.RevokedBy == lfi.RevokedByTPPInitiatedUser {
		return revokeResult{how: revokedAtBank}, nil
	}
	// The bank may refuse because it ended the consent already: ask before marking anything.
	// A consent whose bank left the config cannot be asked, and is only marked below.
	if bank, ok := a.bankByID(c.Bank); ok && bank.client != nil {
		if bc, gerr := bank.client.GetConsent(ctx, c.ID); gerr == nil && bc.ConsentID == c.ID && wallet.ConsentStatus(bc.Status).Terminal() {
			at := bc.StatusUpdateDateTime
			if at.IsZero() {
				at = a.opts.Clock()
			}
			if err := a.ledger.SetConsentStatus(ctx, c.ID, wallet.ConsentStatus(bc.Status), bc.RevokedBy, at); err != nil {
				return revokeResult{}, err
			}
			return revokeResult{how: endedAtBank, status: string(bc.Status)}, nil
		}
	}
	if cerr := ctx.Err(); cerr != nil {
		return revokeResult{}, cerr
	}
	if err := a.ledger.SetConsentStatus(ctx, c.ID, wallet.ConsentRevoked, revokedByReset, a.opts.Clock()); err != nil {
		return revokeResult{}, fmt.Errorf("mark the consent unusable: %w", err)
	}
	return revokeResult{how: markedLocally, reason: bankFailure(err)}, nil
}

// bankFailure is the one sentence the screens would show for err.
func bankFailure(err error) string {
	var p *ui.Problem
	if errors.As(uiError("Revoking the consent", err), &p) {
		return p.What
	}
	return "the bank did not answer."
}
