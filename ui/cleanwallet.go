package ui

import (
	"context"
	"reflect"

	"github.com/payterm/payterm/internal/safetext"
)

// cleanWallet is the screens' side of the one boundary for text payterm did not write (issue
// 11): ui.New puts it between the screens and whatever Wallet it is given, so every string the
// core returns — names, ids, codes, reasons, the inspector's headers, claims and checks, bank
// names, notes on payment events — has passed safetext.Line before a screen holds it. No screen
// has to remember to clean what it draws, and a field added to a data type later is cleaned too
// (the walk is by reflection over exported string fields at any depth).
//
// Line replaces C0/C1 controls, DEL, invalid UTF-8 and bidi embeddings/overrides/isolates with
// U+FFFD, and turns tab and newline into a space: nothing from the core can move the cursor, set
// the window title or the clipboard, or reverse the order of what follows it on the row. Clean
// values (all that a correct core returns) are passed through unchanged, so ids still round-trip.
// Errors are not rewritten here (errors.Is/As must keep working): explain and Problem.Error clean
// what they show. Every method is listed so that a method added to Wallet does not compile
// until it is cleaned too.
type cleanWallet struct{ w Wallet }

// withCleanText wraps w once.
func withCleanText(w Wallet) Wallet {
	if _, ok := w.(cleanWallet); ok || w == nil {
		return w
	}
	return cleanWallet{w}
}

func (c cleanWallet) Overview(ctx context.Context) (Overview, error) {
	v, err := c.w.Overview(ctx)
	return cleaned(v), err
}

func (c cleanWallet) Unlock(ctx context.Context, pin Secret) error { return c.w.Unlock(ctx, pin) }

func (c cleanWallet) Recover(ctx context.Context, recoveryCode, totp, newPIN Secret) (Secret, error) {
	return c.w.Recover(ctx, recoveryCode, totp, newPIN)
}

func (c cleanWallet) SetPIN(ctx context.Context, pin Secret) error { return c.w.SetPIN(ctx, pin) }

func (c cleanWallet) EnrolTOTP(ctx context.Context) (TOTPEnrolment, error) {
	v, err := c.w.EnrolTOTP(ctx)
	return cleaned(v), err
}

func (c cleanWallet) ConfirmTOTP(ctx context.Context, code Secret) (Secret, error) {
	return c.w.ConfirmTOTP(ctx, code)
}

func (c cleanWallet) Banks(ctx context.Context) ([]BankOption, error) {
	v, err := c.w.Banks(ctx)
	return cleaned(v), err
}

func (c cleanWallet) SaveBeneficiaries(ctx context.Context, plan BeneficiaryPlan) error {
	return c.w.SaveBeneficiaries(ctx, plan)
}

func (c cleanWallet) ConsentTerms(ctx context.Context) (ConsentTerms, error) {
	v, err := c.w.ConsentTerms(ctx)
	return cleaned(v), err
}

func (c cleanWallet) BeginBankStep(ctx context.Context) (BankStep, error) {
	v, err := c.w.BeginBankStep(ctx)
	return cleaned(v), err
}

func (c cleanWallet) AwaitBankCallback(ctx context.Context, step BankStep) (Consent, error) {
	v, err := c.w.AwaitBankCallback(ctx, step)
	return cleaned(v), err
}

func (c cleanWallet) BankStepDone(ctx context.Context, step BankStep) (Consent, bool, error) {
	v, done, err := c.w.BankStepDone(ctx, step)
	return cleaned(v), done, err
}

func (c cleanWallet) CompleteBankStep(ctx context.Context, step BankStep, callbackURL string) (Consent, error) {
	v, err := c.w.CompleteBankStep(ctx, step, callbackURL)
	return cleaned(v), err
}

func (c cleanWallet) Consents(ctx context.Context) ([]Consent, error) {
	v, err := c.w.Consents(ctx)
	return cleaned(v), err
}

func (c cleanWallet) ConsentDetail(ctx context.Context, consentID string) (ConsentDetail, error) {
	v, err := c.w.ConsentDetail(ctx, consentID)
	return cleaned(v), err
}

func (c cleanWallet) PauseConsent(ctx context.Context, consentID string) error {
	return c.w.PauseConsent(ctx, consentID)
}

func (c cleanWallet) ReactivateConsent(ctx context.Context, consentID string) error {
	return c.w.ReactivateConsent(ctx, consentID)
}

func (c cleanWallet) RevokeConsent(ctx context.Context, consentID string) error {
	return c.w.RevokeConsent(ctx, consentID)
}

func (c cleanWallet) RenewConsent(ctx context.Context, consentID string) (BankStep, error) {
	v, err := c.w.RenewConsent(ctx, consentID)
	return cleaned(v), err
}

func (c cleanWallet) Limits(ctx context.Context) (Headroom, error) {
	v, err := c.w.Limits(ctx)
	return cleaned(v), err
}

func (c cleanWallet) PlanLimits(ctx context.Context, l Limits) (LimitPlan, error) {
	v, err := c.w.PlanLimits(ctx, l)
	return cleaned(v), err
}

func (c cleanWallet) SetLimits(ctx context.Context, l Limits, sca SCAInput) error {
	return c.w.SetLimits(ctx, l, sca)
}

func (c cleanWallet) Payees(ctx context.Context, consentID string) ([]Payee, error) {
	v, err := c.w.Payees(ctx, consentID)
	return cleaned(v), err
}

func (c cleanWallet) PurposeCodes(ctx context.Context) ([]PurposeCode, error) {
	v, err := c.w.PurposeCodes(ctx)
	return cleaned(v), err
}

func (c cleanWallet) PreparePayment(ctx context.Context, d PaymentDraft) (PreparedPayment, error) {
	v, err := c.w.PreparePayment(ctx, d)
	return cleaned(v), err
}

// SubmitPayment forwards the core's events, each cleaned, on a channel of the same capacity, and
// closes it when the core closes its own. Every event is forwarded, also after ctx ends: the pay
// screen cancels ctx when the user stops waiting for the bank and still reads the final event
// (the payment queued, not sent), as the core's contract promises.
func (c cleanWallet) SubmitPayment(ctx context.Context, preparedID string, sca SCAInput) (<-chan PaymentEvent, error) {
	in, err := c.w.SubmitPayment(ctx, preparedID, sca)
	if in == nil {
		return nil, err
	}
	out := make(chan PaymentEvent, cap(in))
	go func() {
		defer close(out)
		for ev := range in {
			out <- cleaned(ev)
		}
	}()
	return out, err
}

// PrestretchPIN passes the PIN on to a wallet that can stretch it early (PINPrestretcher); no
// text comes back to clean. Without one it does nothing: SubmitPayment checks the PIN anyway.
func (c cleanWallet) PrestretchPIN(pin Secret) {
	if ps, ok := c.w.(PINPrestretcher); ok {
		ps.PrestretchPIN(pin)
	}
}

// errNoApproveAgain: the wallet behind the screens cannot ask a bank again for its approval.
var errNoApproveAgain = &Problem{What: "This wallet cannot ask the bank again for its approval.", Next: "Approve the payment in your online banking, or cancel it with X."}

// ApproveAgain cleans what the core says, as SubmitPayment does; a wallet that cannot ask
// again says so.
func (c cleanWallet) ApproveAgain(ctx context.Context, paymentID string) (PreparedPayment, <-chan PaymentEvent, error) {
	ar, ok := c.w.(ApprovalResumer)
	if !ok {
		return PreparedPayment{}, nil, errNoApproveAgain
	}
	pp, in, err := ar.ApproveAgain(ctx, paymentID)
	if in == nil {
		return cleaned(pp), nil, err
	}
	out := make(chan PaymentEvent, cap(in))
	go func() {
		defer close(out)
		for ev := range in {
			out <- cleaned(ev)
		}
	}()
	return cleaned(pp), out, err
}

func (c cleanWallet) CancelPayment(ctx context.Context, paymentID string) (PaymentDetail, error) {
	v, err := c.w.CancelPayment(ctx, paymentID)
	return cleaned(v), err
}

// ContinuePayment hands the payer's answer to the core as it is: it is input, not output (the
// method id was cleaned when the action carrying it came through here).
func (c cleanWallet) ContinuePayment(ctx context.Context, paymentID string, in BankInput) error {
	return c.w.ContinuePayment(ctx, paymentID, in)
}

func (c cleanWallet) Payment(ctx context.Context, paymentID string) (PaymentDetail, error) {
	v, err := c.w.Payment(ctx, paymentID)
	return cleaned(v), err
}

func (c cleanWallet) History(ctx context.Context, q HistoryQuery) (HistoryPage, error) {
	v, err := c.w.History(ctx, q)
	return cleaned(v), err
}

func (c cleanWallet) Inspect(ctx context.Context) (Inspection, error) {
	v, err := c.w.Inspect(ctx)
	return cleaned(v), err
}

func (c cleanWallet) ExportSupportBundle(ctx context.Context) (string, error) {
	v, err := c.w.ExportSupportBundle(ctx)
	return cleaned(v), err
}

// cleaned returns a copy of v in which every string reachable through exported fields,
// pointers, slices, arrays and maps is safetext.Line of itself. v is not modified (the core may
// share slices with its own state); values that are already clean are reused as they are.
func cleaned[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	out, changed := cleanValue(rv)
	if !changed {
		return v
	}
	return out.Interface().(T)
}

// cleanValue returns the cleaned value of v and whether it differs from v.
func cleanValue(v reflect.Value) (reflect.Value, bool) {
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		if safetext.Clean(s) {
			return v, false
		}
		n := reflect.New(v.Type()).Elem()
		n.SetString(safetext.Line(s))
		return n, true
	case reflect.Struct:
		var n reflect.Value
		t := v.Type()
		for i := range v.NumField() {
			if !t.Field(i).IsExported() {
				continue // Secret, money.Amount, time.Time: not text from outside
			}
			f, changed := cleanValue(v.Field(i))
			if !changed {
				continue
			}
			if !n.IsValid() {
				n = reflect.New(t).Elem()
				n.Set(v)
			}
			n.Field(i).Set(f)
		}
		if !n.IsValid() {
			return v, false
		}
		return n, true
	case reflect.Pointer:
		if v.IsNil() {
			return v, false
		}
		e, changed := cleanValue(v.Elem())
		if !changed {
			return v, false
		}
		n := reflect.New(v.Type().Elem())
		n.Elem().Set(e)
		return n, true
	case reflect.Slice, reflect.Array:
		var n reflect.Value
		for i := range v.Len() {
			e, changed := cleanValue(v.Index(i))
			if !changed {
				continue
			}
			if !n.IsValid() {
				if v.Kind() == reflect.Slice {
					n = reflect.MakeSlice(v.Type(), v.Len(), v.Len())
					reflect.Copy(n, v)
				} else {
					n = reflect.New(v.Type()).Elem()
					n.Set(v)
				}
			}
			n.Index(i).Set(e)
		}
		if !n.IsValid() {
			return v, false
		}
		return n, true
	case reflect.Map:
		if v.IsNil() {
			return v, false
		}
		n := reflect.MakeMapWithSize(v.Type(), v.Len())
		changed := false
		for it := v.MapRange(); it.Next(); {
			k, kc := cleanValue(it.Key())
			e, ec := cleanValue(it.Value())
			changed = changed || kc || ec
			n.SetMapIndex(k, e)
		}
		if !changed {
			return v, false
		}
		return n, true
	}
	return v, false // numbers, bools, interfaces (errors are cleaned where they are shown), funcs, channels
}

// Changes forwards the core's change feed. A change carries only an id, which the screens compare
// with ids they got through this wrapper: it is cleaned the same way, so the two still match.
func (c cleanWallet) Changes(ctx context.Context) <-chan Change {
	in := c.w.Changes(ctx)
	out := make(chan Change)
	go func() {
		defer close(out)
		for ch := range in { // the core closes it when ctx ends
			select {
			case out <- cleaned(ch):
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// CheckPayee cleans the bank's answer (the holder's name is the bank's text); a wallet without
// the service answers PayeeCheckNone.
func (c cleanWallet) CheckPayee(ctx context.Context, consentID string, p PayeeDraft) (PayeeCheck, error) {
	pc, ok := c.w.(PayeeCheckService)
	if !ok {
		return PayeeCheck{Answer: PayeeCheckNone}, nil
	}
	v, err := pc.CheckPayee(ctx, consentID, p)
	return cleaned(v), err
}

func (c cleanWallet) AcceptPayee(ctx context.Context, consentID string, p PayeeDraft, noMatchConfirmed bool) error {
	pc, ok := c.w.(PayeeCheckService)
	if !ok {
		return &Problem{What: "This bank does not check payees.", Next: "Pay the payee as typed."}
	}
	return pc.AcceptPayee(ctx, consentID, p, noMatchConfirmed)
}
