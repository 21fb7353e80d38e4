package ui_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// Terminal injection (issue 11). The screens are driven on a wallet whose every string — names,
// ids, codes, reasons, bank names, the inspector's fields, notes on payment events, the words of
// every Problem and error — ends in escape sequences (OSC 52 sets the clipboard, OSC 2 the window
// title), one-byte C1 controls (U+009B CSI, U+009D OSC) and bidi overrides. Frames are drawn with
// the ASCII colour profile (uitest pins it), so lipgloss emits no escape of its own: any ESC, BEL,
// other control byte or bidi control in any frame is an injection.

const poison = "\x1b]52;c;QUUwNzAzMzEyMzQ1Njc4OTAxMjM0NTY=\x07\x1b]2;T\x07\u009b2J\u009d0;t\u009c\u202e00.125\u202c\u2066x\u2069\x7f\r\n\t"

// poisonShown is what of the poison stays visible once cleaned: a frame that holds it proves a
// poisoned value was drawn, not left out.
const poisonShown = "]52;c;QUUwNzAz"

// cleanPoison is the poison as the UI hands it back (cleaned), stripped from every argument.
var cleanPoison = safetext.Line(poison)

// hostileWallet poisons every non-empty string the wrapped wallet returns and strips the poison
// (raw or cleaned) from every string it is given, so ids still find their payments.
type hostileWallet struct {
	w ui.Wallet
	// enums poisons the named string types too (statuses, models, payee types): the flows that
	// compare them stop working, so those runs only look at screens.
	enums bool
}

func (h hostileWallet) out(t reflect.Type, s string) string {
	if s == "" || (t != reflect.TypeOf("") && !h.enums) {
		return s
	}
	return s + poison
}

func unpoisonString(_ reflect.Type, s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, poison, ""), cleanPoison, "")
}

func bad[T any](h hostileWallet, v T, err error) (T, error) {
	return mapStrings(v, h.out), h.err(err)
}

func (h hostileWallet) err(err error) error {
	var sca *ui.SCAError
	var pr *ui.Problem
	switch {
	case err == nil, errors.As(err, &sca), errors.Is(err, context.Canceled):
		return err
	case errors.As(err, &pr):
		return &ui.Problem{What: pr.What + poison, Next: pr.Next + poison, Detail: pr.Detail + poison, Err: err}
	}
	return fmt.Errorf("%w %s", err, poison)
}

func in[T any](v T) T { return mapStrings(v, unpoisonString) }

func (h hostileWallet) Overview(ctx context.Context) (ui.Overview, error) {
	v, err := h.w.Overview(ctx)
	return bad(h, v, err)
}
func (h hostileWallet) Unlock(ctx context.Context, pin ui.Secret) error {
	return h.err(h.w.Unlock(ctx, pin))
}
func (h hostileWallet) Recover(ctx context.Context, rc, totp, pin ui.Secret) (ui.Secret, error) {
	s, err := h.w.Recover(ctx, rc, totp, pin)
	return s, h.err(err)
}
func (h hostileWallet) SetPIN(ctx context.Context, pin ui.Secret) error {
	return h.err(h.w.SetPIN(ctx, pin))
}
func (h hostileWallet) EnrolTOTP(ctx context.Context) (ui.TOTPEnrolment, error) {
	v, err := h.w.EnrolTOTP(ctx)
	return bad(h, v, err)
}
func (h hostileWallet) ConfirmTOTP(ctx context.Context, code ui.Secret) (ui.Secret, error) {
	s, err := h.w.ConfirmTOTP(ctx, code)
	return s, h.err(err)
}
func (h hostileWallet) Banks(ctx context.Context) ([]ui.BankOption, error) {
	v, err := h.w.Banks(ctx)
	return bad(h, v, err)
}
func (h hostileWallet) SaveBeneficiaries(ctx context.Context, plan ui.BeneficiaryPlan) error {
	return h.err(h.w.SaveBeneficiaries(ctx, in(plan)))
}
func (h hostileWallet) ConsentTerms(ctx context.Context) (ui.ConsentTerms, error) {
	v, err := h.w.ConsentTerms(ctx)
	return bad(h, v, err)
}
func (h hostileWallet) BeginBankStep(ctx context.Context) (ui.BankStep, error) {
	v, err := h.w.BeginBankStep(ctx)
	return bad(h, v, err)
}
func (h hostileWallet) BankStepDone(ctx context.Context, step ui.BankStep) (ui.Consent, bool, error) {
	v, done, err := h.w.BankStepDone(ctx, in(step))
	v, err = bad(h, v, err)
	return v, done, err
}
func (h hostileWallet) AwaitBankCallback(ctx context.Context, step ui.BankStep) (ui.Consent, error) {
	v, err := h.w.AwaitBankCallback(ctx, in(step))
	return bad(h, v, err)
}
func (h hostileWallet) CompleteBankStep(ctx context.Context, step ui.BankStep, u string) (ui.Consent, error) {
	v, err := h.w.CompleteBankStep(ctx, in(step), u)
	return bad(h, v, err)
}
func (h hostileWallet) Consents(ctx context.Context) ([]ui.Consent, error) {
	v, err := h.w.Consents(ctx)
	return bad(h, v, err)
}
func (h hostileWallet) ConsentDetail(ctx context.Context, id string) (ui.ConsentDetail, error) {
	v, err := h.w.ConsentDetail(ctx, in(id))
	return bad(h, v, err)
}
func (h hostileWallet) PauseConsent(ctx context.Context, id string) error {
	return h.err(h.w.PauseConsent(ctx, in(id)))
}
func (h hostileWallet) ReactivateConsent(ctx context.Context, id string) error {
	return h.err(h.w.ReactivateConsent(ctx, in(id)))
}
func (h hostileWallet) RevokeConsent(ctx context.Context, id string) error {
	return h.err(h.w.RevokeConsent(ctx, in(id)))
}
func (h hostileWallet) RenewConsent(ctx context.Context, id string) (ui.BankStep, error) {
	v, err := h.w.RenewConsent(ctx, in(id))
	return bad(h, v, err)
}
func (h hostileWallet) Limits(ctx context.Context) (ui.Headroom, error) {
	v, err := h.w.Limits(ctx)
	return bad(h, v, err)
}
func (h hostileWallet) PlanLimits(ctx context.Context, l ui.Limits) (ui.LimitPlan, error) {
	v, err := h.w.PlanLimits(ctx, l)
	return bad(h, v, err)
}
func (h hostileWallet) SetLimits(ctx context.Context, l ui.Limits, sca ui.SCAInput) error {
	return h.err(h.w.SetLimits(ctx, l, sca))
}
func (h hostileWallet) Payees(ctx context.Context, id string) ([]ui.Payee, error) {
	v, err := h.w.Payees(ctx, in(id))
	return bad(h, v, err)
}
func (h hostileWallet) PurposeCodes(ctx context.Context) ([]ui.PurposeCode, error) {
	v, err := h.w.PurposeCodes(ctx)
	return bad(h, v, err)
}
func (h hostileWallet) PreparePayment(ctx context.Context, d ui.PaymentDraft) (ui.PreparedPayment, error) {
	v, err := h.w.PreparePayment(ctx, in(d))
	return bad(h, v, err)
}
func (h hostileWallet) SubmitPayment(ctx context.Context, id string, sca ui.SCAInput) (<-chan ui.PaymentEvent, error) {
	ch, err := h.w.SubmitPayment(ctx, in(id), sca)
	if ch == nil {
		return nil, h.err(err)
	}
	out := make(chan ui.PaymentEvent, cap(ch))
	go func() {
		defer close(out)
		for ev := range ch {
			ev = mapStrings(ev, h.out)
			ev.Err = h.err(ev.Err)
			out <- ev
		}
	}()
	return out, h.err(err)
}
func (h hostileWallet) CancelPayment(ctx context.Context, id string) (ui.PaymentDetail, error) {
	v, err := h.w.CancelPayment(ctx, in(id))
	return bad(h, v, err)
}
func (h hostileWallet) ContinuePayment(ctx context.Context, id string, bi ui.BankInput) error {
	return h.err(h.w.ContinuePayment(ctx, in(id), in(bi)))
}
func (h hostileWallet) Payment(ctx context.Context, id string) (ui.PaymentDetail, error) {
	v, err := h.w.Payment(ctx, in(id))
	return bad(h, v, err)
}
func (h hostileWallet) History(ctx context.Context, q ui.HistoryQuery) (ui.HistoryPage, error) {
	v, err := h.w.History(ctx, in(q))
	return bad(h, v, err)
}
func (h hostileWallet) Inspect(ctx context.Context) (ui.Inspection, error) {
	v, err := h.w.Inspect(ctx)
	return bad(h, v, err)
}
func (h hostileWallet) Changes(ctx context.Context) <-chan ui.Change {
	in := h.w.Changes(ctx)
	out := make(chan ui.Change)
	go func() {
		defer close(out)
		for c := range in {
			select {
			case out <- mapStrings(c, h.out):
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
func (h hostileWallet) ExportSupportBundle(ctx context.Context) (string, error) {
	v, err := h.w.ExportSupportBundle(ctx)
	return bad(h, v, err)
}

var _ ui.Wallet = hostileWallet{}

// mapStrings returns a deep copy of v with f applied to every string reachable through exported
// fields, pointers, slices and maps (interfaces such as errors are left alone).
func mapStrings[T any](v T, f func(reflect.Type, string) string) T {
	rv := reflect.ValueOf(&v).Elem()
	return mapValue(rv, f).Interface().(T)
}

func mapValue(v reflect.Value, f func(reflect.Type, string) string) reflect.Value {
	switch v.Kind() {
	case reflect.String:
		n := reflect.New(v.Type()).Elem()
		n.SetString(f(v.Type(), v.String()))
		return n
	case reflect.Struct:
		n := reflect.New(v.Type()).Elem()
		n.Set(v)
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				n.Field(i).Set(mapValue(v.Field(i), f))
			}
		}
		return n
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		n := reflect.New(v.Type().Elem())
		n.Elem().Set(mapValue(v.Elem(), f))
		return n
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			n.Index(i).Set(mapValue(v.Index(i), f))
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			n.SetMapIndex(mapValue(it.Key(), f), mapValue(it.Value(), f))
		}
		return n
	}
	return v
}

// requireNoInjection fails on any frame holding a byte or rune that is not text: ESC, BEL and
// every other C0 control but newline, DEL, C1 controls, bidi controls, invalid UTF-8. It also
// requires that poisoned values were drawn at all (in at least minShown frames).
func requireNoInjection(t *testing.T, frames []string, minShown int) {
	t.Helper()
	shown := 0
	for i, f := range frames {
		if !utf8.ValidString(f) {
			t.Fatalf("frame %d is not valid UTF-8:\n%q", i, f)
		}
		for _, r := range f {
			if r != '\n' && safetext.IsUnsafe(r) {
				t.Fatalf("frame %d carries %U, an injection:\n%s", i, r, f)
			}
		}
		if strings.Contains(f, poisonShown) {
			shown++
		}
	}
	if shown < minShown {
		t.Fatalf("only %d of %d frames show a poisoned value (want %d): the screens did not draw the core's text", shown, len(frames), minShown)
	}
}

// TestNoInjectionFirstRun: onboarding with two banks (their names and ids poisoned), the
// enrolment, the consent page, the bank step's address and the authorised consent.
func TestNoInjectionFirstRun(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.FakeNotOnboarded(clock.Now)
	fw.SetBanks(uifake.FakeSandboxBank, ui.BankOption{ID: "second", Name: "Second Test Bank"})
	app := uitest.Start(t, hostileWallet{w: fw}, uitest.WithClock(clock), uitest.WithEveryFrame(),
		uitest.WithOptions(ui.Options{Clock: clock.Now, OpenURL: func(string) error { return errors.New("no browser" + poison) }}))
	app.WaitFor("Welcome to payterm")
	app.Press("enter")
	app.WaitFor("Choose a PIN")
	app.Type("123456")
	app.Press("enter")
	app.Type("123456")
	app.Press("enter")
	app.WaitFor("Add payterm to your authenticator app")
	app.Type(fw.Code)
	app.Press("enter")
	app.WaitFor("Write down this recovery code")
	app.Press("enter")
	app.WaitFor("Which bank?")
	app.WaitFor(poisonShown)
	app.Press("down", "enter")
	app.WaitFor("Who will you pay?")
	app.Press("left") // one payee
	app.WaitFor("one payee")
	app.Press("tab")
	app.Type("Test Payee One")
	app.Press("tab")
	app.Type("AE070331234567890123456")
	app.Press("enter")
	app.WaitFor("1. Test Payee One")
	app.Press("enter")
	app.WaitFor("Your consent")
	app.Press("enter")
	app.WaitFor("Approve the consent at")
	app.Press("v")
	app.WaitFor("Callback URL")
	app.Type("https://wallet.example/callback?code=test-code&state=s")
	app.Press("enter")
	app.WaitFor("You are set up.")
	app.Press("enter")
	app.WaitFor("Recent payments")
	_ = app.FinalView()
	requireNoInjection(t, app.Frames(), 5)
}

// TestNoInjectionJourney: Home, the pay form, review, SCA, progress and a rejected payment's
// receipt, history and its detail, consents and a consent's rules, limits, the inspector on every
// step with the support bundle's path, and errors of every kind (a Problem, a plain error, a
// failed payment).
func TestNoInjectionJourney(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 12)
	fw.Sandbox = true // the inspector shows personal data and the bank's verdicts
	fw.Outcome = "reject"
	app := uitest.Start(t, hostileWallet{w: fw}, uitest.WithClock(clock), uitest.WithEveryFrame())
	app.WaitFor("Recent payments")
	app.WaitFor(poisonShown)

	app.Press("p")
	app.WaitFor("Purpose")
	app.Press("tab")
	app.Type("9999999")
	app.Press("tab")
	app.Type("Invoice 7")
	app.Press("tab")
	app.Type("mwp")
	app.Press("enter")
	app.WaitFor("above your per-payment limit") // a Problem, its words poisoned
	app.Press("shift+tab", "shift+tab", "ctrl+u")
	app.Type("12.50")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.Type(fw.PIN)
	app.Press("tab")
	app.Type(fw.Code)
	app.Press("enter")
	app.WaitFor("AANI.AM04")
	app.Press("esc")
	app.WaitFor("Recent payments")

	app.Press("h")
	app.WaitFor("payterm · History")
	app.WaitFor(poisonShown)
	app.Press("enter")
	app.WaitFor("Timeline")
	app.Press("esc", "esc")
	app.WaitFor("Recent payments")

	app.Press("c")
	app.WaitFor("payterm · Consents")
	app.WaitFor("> Sandbox Bank")
	app.Press("enter")
	app.WaitFor("Payment Rules")
	app.Press("esc", "esc")
	app.WaitFor("Recent payments")

	app.Press("l")
	app.WaitFor("Limits")
	app.Press("esc")
	app.WaitFor("Recent payments")

	app.Press("ctrl+t")
	app.WaitFor("payterm · Inspector")
	for range 6 {
		app.Press("k")
	}
	for range 6 {
		app.Press("pgdown", "j")
	}
	app.Press("x")
	app.WaitFor("support")
	app.Press("esc")
	app.WaitFor("Recent payments")

	fw.SetConsentsErr(errors.New("the ledger is locked"))
	app.Press("p")
	app.WaitFor("Something went wrong")
	_ = app.FinalView()
	requireNoInjection(t, app.Frames(), 20)
}

// TestNoInjectionUnknownValues: statuses, models and payee types are strings from the core too;
// poisoned, the screens that list them (Home, history and a detail, consents and a detail, the
// inspector) still draw nothing but text.
func TestNoInjectionUnknownValues(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 6)
	app := uitest.Start(t, hostileWallet{w: fw, enums: true}, uitest.WithClock(clock), uitest.WithEveryFrame())
	app.WaitFor("payterm")
	app.WaitFor(poisonShown)
	app.Press("h")
	app.WaitFor("payterm · History")
	app.WaitFor(poisonShown)
	app.Press("enter")
	app.WaitFor("Timeline")
	app.Press("esc", "esc")
	app.Press("c")
	app.WaitFor("payterm · Consents")
	app.WaitGone("Loading…")
	app.Press("l") // the History tab: no status is one of the Current ones
	app.WaitFor(poisonShown)
	app.Press("enter")
	app.WaitFor("Payment Rules")
	app.Press("esc", "esc")
	app.Press("ctrl+t")
	app.WaitFor("payterm · Inspector")
	_ = app.FinalView()
	requireNoInjection(t, app.Frames(), 5)
}

// TestPayRefusesBidiName: a payee name typed (or pasted) with U+202E is refused with a sentence
// before anything reaches the core; the field keeps what was typed and draws the override as
// U+FFFD; once it is gone the payment goes on. A reference with a C1 control is refused the same
// way.
func TestPayRefusesBidiName(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.EditConsent(0, func(c *ui.Consent) { c.Model, c.Creditors = ui.BeneficiaryOpen, nil })
	app := uitest.Start(t, fw, uitest.WithClock(clock), uitest.WithEveryFrame())
	app.WaitFor("Recent payments")
	app.Press("p")
	app.WaitFor("Purpose")
	app.Press("left") // past the consent's payees: a new payee
	app.WaitFor("Payee name")
	app.Press("tab")
	app.Type("Noor \u202eTest")
	app.Press("tab")
	app.Type("AE070331234567890123456")
	app.Press("tab", "tab")
	app.Type("12.50")
	app.Press("tab", "tab")
	app.Type("mwp")
	app.Press("enter")
	app.WaitFor("The payee name contains a right-to-left override")
	if v := app.View(); !strings.Contains(v, "Noor \uFFFDTest") {
		t.Errorf("the name field does not show what was typed, with the override visible:\n%s", v)
	}
	if d := fw.Drafts(); len(d) != 0 {
		t.Fatalf("a refused name reached the core: %d drafts", len(d))
	}
	app.Press("up", "up", "up", "up", "up", "ctrl+u") // from Purpose back to the name
	app.Type("Noor Test")
	app.Press("down", "down", "down", "down")
	app.Type("Inv \u009b1")
	app.Press("enter")
	app.WaitFor("The reference contains a control character")
	if d := fw.Drafts(); len(d) != 0 {
		t.Fatalf("a refused reference reached the core: %d drafts", len(d))
	}
	app.Press("ctrl+u")
	app.Type("Inv 1")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	if d := fw.Drafts(); len(d) != 1 || d[0].NewPayee.Name != "Noor Test" || d[0].Reference != "Inv 1" {
		t.Fatalf("drafts = %+v", d)
	}
	_ = app.FinalView()
	requireNoInjection(t, app.Frames(), 0)
}

// TestOnboardingRefusesBidiName: the payees step refuses a name with a bidi control and keeps
// the field as typed; the payee is not added.
func TestOnboardingRefusesBidiName(t *testing.T) {
	app, fw := startFirstRun(t, uitest.WithEveryFrame())
	toPayees(t, app, fw)
	app.Press("tab")
	app.Type("Test \u2067Payee")
	app.Press("tab")
	app.Type("AE070331234567890123456")
	app.Press("enter")
	app.WaitFor("The payee name contains a right-to-left override or another direction control")
	v := app.View()
	if strings.Contains(v, "1. Test") || !strings.Contains(v, "Test \uFFFDPayee") {
		t.Errorf("the payee was added, or the field lost what was typed:\n%s", v)
	}
	_ = app.FinalView()
	requireNoInjection(t, app.Frames(), 0)
}

// reversingWallet returns payments whose payee name carries a right-to-left override that is
// never closed within the first 60 columns (a name stored by an older payterm, or by a core that
// did not check it).
type reversingWallet struct{ ui.Wallet }

const reversedName = "Noor \u202eTest Payee With A Rather Long Name To Cut\u202c"

func (w reversingWallet) Overview(ctx context.Context) (ui.Overview, error) {
	o, err := w.Wallet.Overview(ctx)
	for i := range o.Recent {
		o.Recent[i].PayeeName = reversedName
	}
	return o, err
}

func (w reversingWallet) History(ctx context.Context, q ui.HistoryQuery) (ui.HistoryPage, error) {
	p, err := w.Wallet.History(ctx, q)
	for i := range p.Rows {
		p.Rows[i].PayeeName = reversedName
	}
	return p, err
}

// TestOverrideCutAt60Columns: at 60 columns the name is cut before its closing U+202C; a
// terminal would then draw the rest of the row — the amount — reversed. The override never
// reaches the frame: the amount reads in order on every row.
func TestOverrideCutAt60Columns(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 4)
	app := uitest.Start(t, reversingWallet{fw}, uitest.WithClock(clock), uitest.WithSize(60, 18), uitest.WithEveryFrame())
	app.WaitFor("Limit headroom")
	app.Press("pgdown")
	app.WaitFor("Noor \uFFFDTest")
	app.Press("h")
	app.WaitFor("payterm · History")
	app.WaitFor("Noor \uFFFDT")
	v := app.View()
	if !strings.Contains(v, "10.00 AED") {
		t.Fatalf("no amount on the history rows:\n%s", v)
	}
	_ = app.FinalView()
	for i, f := range app.Frames() {
		if strings.ContainsAny(f, "\u202e\u202c") {
			t.Fatalf("frame %d carries the override:\n%s", i, f)
		}
	}
	requireNoInjection(t, app.Frames(), 0)
}
