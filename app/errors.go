package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// resetHint is the way out when recovery is impossible: the reset command (app/reset.go).
const resetHint = "Only a reset is left: quit and run payterm reset. It revokes your consents at the bank and unbinds this device; then you set up a new PIN and authorise a new consent at your bank."

// maxErrorText bounds how much of an error payterm did not word goes into a sentence.
const maxErrorText = 300

// uiError turns any error of the core into what the screens show: a *ui.SCAError for a failed
// PIN/code, otherwise a *ui.Problem with one sentence and what to do next. doing names the
// action ("Revoking the consent") for errors without a better sentence. The cause stays
// reachable through errors.Is/As; none of the packages put secrets or PII in error strings.
func uiError(doing string, err error) error {
	if err == nil {
		return nil
	}
	var (
		scaErr   *ui.SCAError
		uiProb   *ui.Problem
		wProb    *wallet.Problem
		limit    *wallet.LimitError
		auth     *sca.AuthError
		rec      *sca.RecoveryError
		field    *consent.FieldError
		authz    *consent.AuthorizationError
		bankErr  *lfi.BankError
		oauthErr *lfi.OAuthError
		refused  *consent.RefusedError
	)
	p := func(what, next string) error { return &ui.Problem{What: what, Next: next, Err: err} }
	switch {
	case errors.As(err, &scaErr), errors.As(err, &uiProb):
		return err
	case errors.Is(err, wallet.ErrQueued) && errors.As(err, &wProb):
		// Also when the user stopped a wait: what happens to the queued payment comes first.
		return &ui.Problem{What: wProb.What, Next: wProb.Next, Err: err}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, sca.ErrCodeUsed):
		// Before the counted failure: this one costs no attempt and says only what the user
		// typed a moment ago (the PIN was not read).
		return p("That code was already used; wait for the next one.", "Your authenticator app shows a new code every 30 seconds. No attempt was counted.")
	case errors.As(err, &auth):
		return &ui.SCAError{AttemptsLeft: auth.Remaining, Locked: auth.Remaining <= 0}
	case errors.Is(err, sca.ErrBlocked), errors.Is(err, sca.ErrTampered):
		return &ui.SCAError{Locked: true}
	case errors.Is(err, sca.ErrInvalidInput):
		return p("The PIN must be 6 to 12 digits and the code 6 digits.", "Type them again.")
	case errors.Is(err, sca.ErrWeakPIN):
		return p("That PIN is too easy to guess ("+strings.TrimPrefix(err.Error(), "sca: PIN refused: ")+").", "Choose another one: no run of consecutive digits and no repeated pattern.")
	case errors.Is(err, sca.ErrEnrolmentCode):
		return p("That code does not match your authenticator app.", "Check the app's clock and type the code it shows now.")
	case errors.Is(err, sca.ErrNotEnrolled):
		return p("The wallet has no PIN and authenticator yet.", "Finish the set-up first.")
	case errors.As(err, &rec):
		if rec.Remaining <= 0 {
			return p("Recovery is locked after too many wrong attempts.", resetHint)
		}
		return p(fmt.Sprintf("The recovery code or the authenticator code is not correct (%s left).", count(rec.Remaining, "attempt", "attempts")), "Check both and try again.")
	case errors.Is(err, sca.ErrRecoveryLocked):
		return p("Recovery is locked after too many wrong attempts.", resetHint)
	case errors.Is(err, sca.ErrEvidenceExpired), errors.Is(err, sca.ErrEvidenceMismatch), errors.Is(err, sca.ErrEvidenceUsed):
		return p("The authentication no longer covers this payment.", "Start the payment again.")
	case errors.As(err, &limit) && limit.Limit == "per_day_count":
		return p("You reached your daily number of payments.", "Pay tomorrow, or change the limit in Limits (l on Home).")
	case errors.As(err, &limit):
		return p(fmt.Sprintf("This payment is above your %s limit; at most %s AED is allowed now.", limitLabel(limit.Limit), limit.Allowed.Display()),
			"Pay less, or change the limit in Limits (l on Home).")
	case errors.As(err, &wProb):
		return &ui.Problem{What: wProb.What, Next: wProb.Next, Err: err}
	case errors.As(err, &refused) && refused.Revoked():
		return p("The bank's answer failed payterm's checks, so the consent was not set up; payterm revoked it at the bank.",
			"Start again; if it repeats, contact your bank (the inspector, ctrl+t, shows what failed).")
	case errors.As(err, &refused):
		return p("The bank's answer failed payterm's checks, so the consent was not set up, and payterm could not revoke it at the bank.",
			"Cancel it in your bank's app or website, then start again.")
	case errors.Is(err, wallet.ErrNotFound):
		return p("That item is no longer in the wallet.", "Go back and refresh (r).")
	case errors.As(err, &field):
		return p("Something you typed is not valid: "+field.Field+" "+field.Reason+".", "Correct it and try again.")
	case errors.Is(err, consent.ErrIBANEmpty), errors.Is(err, consent.ErrIBANCountry), errors.Is(err, consent.ErrIBANLength),
		errors.Is(err, consent.ErrIBANChars), errors.Is(err, consent.ErrIBANChecksum):
		return p("An IBAN is not valid: "+ibanReason(err)+".", "Check it against your bank statement.")
	case errors.Is(err, consent.ErrAccessDenied):
		return p("You declined the consent at the bank.", "Start again when you are ready to approve it.")
	case errors.As(err, &authz) && authz.Code == "":
		return p("The bank did not authorise the consent.", "Start again; if it repeats, contact your bank.")
	case errors.As(err, &authz):
		return p("The bank did not authorise the consent ("+safetext.Short(authz.Code, 40)+").", "Start again; if it repeats, contact your bank.")
	case errors.Is(err, consent.ErrCallbackTimeout):
		return p("The bank did not send you back within 10 minutes.", "Start the bank step again.")
	case errors.Is(err, consent.ErrOnboardingFinished):
		return p("This bank request was already used or abandoned.", "Start the bank step again.")
	case errors.Is(err, consent.ErrCallbackURL), errors.Is(err, consent.ErrStateMissing), errors.Is(err, consent.ErrStateMismatch),
		errors.Is(err, consent.ErrIssuerMissing), errors.Is(err, consent.ErrIssuerMismatch), errors.Is(err, consent.ErrCodeMissing),
		errors.Is(err, consent.ErrDuplicateParam), errors.Is(err, consent.ErrCodeReplayed):
		return p("That address is not the bank's answer to this request.", "Paste the full address the browser shows after you approve, or start the bank step again.")
	case errors.Is(err, consent.ErrConsentInactive):
		return p("The bank no longer accepts this consent (revoked, suspended or expired).", "Open Consents (c) to see its status, then renew or set up a new one.")
	case errors.Is(err, lfi.ErrUnauthorized):
		return p("The bank refused the wallet's access for this consent.", "Open Consents (c) and refresh its status.")
	case errors.Is(err, lfi.ErrRateLimited):
		if ra := lfi.RetryAfterOf(err); ra > 0 {
			return p("The bank asked payterm to wait "+waitWords(ra)+" before calling it again.", "Try again after that; payterm sends it nothing before.")
		}
		return p("The bank asks the wallet to slow down.", "Wait a minute and try again.")
	case errors.Is(err, lfi.ErrOutcomeUnknown):
		return p("The bank's answer did not arrive or could not be verified.", "Nothing is sent twice: the wallet checks with the bank before any retry. Try again in a moment.")
	case errors.As(err, &bankErr):
		return &ui.Problem{What: fmt.Sprintf("The bank refused the request (HTTP %d %s).", bankErr.HTTPStatus, safetext.Short(bankErr.Code(), 60)),
			Next:   "Open the inspector (ctrl+t) for the details; quote interaction id " + safetext.Short(bankErr.InteractionID, 64) + " to the bank.",
			Detail: bankWords(bankErr.Detail()), Err: err}
	case errors.As(err, &oauthErr):
		return &ui.Problem{What: fmt.Sprintf("The bank refused the request (%s).", safetext.Short(oauthErr.Code, 40)), Next: "Open the inspector (ctrl+t) for the details.",
			Detail: bankWords(oauthErr.Detail()), Err: err}
	case errors.Is(err, keystore.ErrUnavailable):
		return p("The secret store is not available (is the keyring locked?).", "Unlock your keyring, or set security.secret_store = \"file\".")
	case errors.Is(err, keystore.ErrCorrupt):
		return p("A stored secret failed its integrity check.", "Restore the data dir from a backup, or recover with your recovery code.")
	}
	// Any other error is text payterm did not write (Go's TLS errors quote the server's
	// certificate names verbatim): cleaned and cut before it becomes a sentence on screen.
	return p(doing+" failed: "+safetext.Short(err.Error(), maxErrorText)+".", "Try again, or open the inspector (ctrl+t).")
}

// bankWords is one line of the bank's own explanation for the error screen, cleaned and cut.
func bankWords(s string) string { return safetext.Short(strings.TrimSpace(s), 160) }

// waitWords says a Retry-After wait: "59 s", "10 min", "2 min 5 s".
func waitWords(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s%60 == 0:
		return fmt.Sprintf("%d min", s/60)
	default:
		return fmt.Sprintf("%d min %d s", s/60, s%60)
	}
}

func limitLabel(l string) string {
	switch l {
	case "per_payment":
		return "per-payment"
	case "per_day":
		return "daily"
	case "per_month":
		return "monthly"
	case "per_day_count":
		return "daily count"
	case "consent_total":
		return "consent total"
	}
	return strings.ReplaceAll(l, "_", " ")
}

func ibanReason(err error) string {
	for _, e := range []error{consent.ErrIBANEmpty, consent.ErrIBANCountry, consent.ErrIBANLength, consent.ErrIBANChars, consent.ErrIBANChecksum} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return "not a UAE IBAN"
}
