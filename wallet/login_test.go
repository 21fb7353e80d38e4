package wallet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/provider"
)

// loginBank is the scripted bank behind a login (provider.Login), as SpareBank 1's PSU
// session: nothing is built or sent without a session; the login page's good answer opens one;
// the bank may end it (endOnSend: the next sends are refused, nothing processed).
type loginBank struct {
	*scriptedBank
	lmu       sync.Mutex
	session   bool
	begun     int
	builtWith []bool // whether a session was held at each Build
	endOnSend int
	// endOnApprove, endOnStatus: the bank ends the session at the next such calls (refused,
	// nothing processed), as SpareBank 1 answers 401 to a call without a live session.
	endOnApprove, endOnStatus int
	beginErr                  error
	attempted                 map[string]bool // request keys a send reached the bank with (processed)
}

const (
	goodLogin = "https://tpp.example/cb?state=s&psu-id=p&tpp-session-id=t"
	overLogin = "https://tpp.example/cb?state=s&message=denied"
)

var _ provider.Login = (*loginBank)(nil)

func (b *loginBank) LoginNeeded() bool {
	b.lmu.Lock()
	defer b.lmu.Unlock()
	return !b.session
}

func (b *loginBank) BeginLogin(context.Context) (provider.Action, error) {
	b.lmu.Lock()
	defer b.lmu.Unlock()
	if b.beginErr != nil {
		return provider.Action{}, b.beginErr
	}
	b.begun++
	return provider.Action{Kind: provider.ActionRedirect, URL: fmt.Sprintf("https://bank.example/login/%d", b.begun), NeedsCallback: true,
		Message: "Log in at the bank"}, nil
}

func (b *loginBank) FinishLogin(_ context.Context, in provider.Input) error {
	b.lmu.Lock()
	defer b.lmu.Unlock()
	switch in.CallbackURL {
	case goodLogin:
		b.session = true
		return nil
	case overLogin:
		return fmt.Errorf("the bank did not open a session: %w", provider.ErrLoginOver)
	}
	return errors.New("that is not the address payterm asked the bank to send your browser back to")
}

func (b *loginBank) Build(ctx context.Context, in provider.Intent, ev provider.Evidence, f provider.Facts) (provider.Request, error) {
	b.lmu.Lock()
	has := b.session
	b.builtWith = append(b.builtWith, has)
	b.lmu.Unlock()
	if !has {
		return provider.Request{}, errors.Join(provider.ErrGrantInactive, provider.ErrNotProcessed)
	}
	return b.scriptedBank.Build(ctx, in, ev, f)
}

func (b *loginBank) Ready(context.Context, provider.Payment) error {
	if b.LoginNeeded() {
		return errors.Join(errors.New("log in first"), provider.ErrGrantInactive, provider.ErrNotProcessed)
	}
	return nil
}

func (b *loginBank) Send(ctx context.Context, p provider.Payment) (provider.State, error) {
	b.lmu.Lock()
	if b.endOnSend > 0 {
		b.endOnSend--
		b.session = false
		b.lmu.Unlock()
		return provider.State{}, errors.Join(errors.New("the bank ended the session"), provider.ErrGrantInactive, provider.ErrNotProcessed)
	}
	b.attempted[p.Request.Key] = true
	b.lmu.Unlock()
	return b.scriptedBank.Send(ctx, p)
}

// ended is the refusal of a call without a live session; end first ends it when *n > 0.
func (b *loginBank) ended(n *int) error {
	b.lmu.Lock()
	defer b.lmu.Unlock()
	if *n > 0 {
		*n--
		b.session = false
	}
	if !b.session {
		return errors.Join(errors.New("the bank ended the session"), provider.ErrGrantInactive, provider.ErrNotProcessed)
	}
	return nil
}

func (b *loginBank) Approve(ctx context.Context, p provider.Payment, in provider.Input) (provider.State, *provider.Action, error) {
	if err := b.ended(&b.endOnApprove); err != nil {
		return provider.State{}, nil, err
	}
	return b.scriptedBank.Approve(ctx, p, in)
}

func (b *loginBank) Status(ctx context.Context, p provider.Payment) (provider.State, error) {
	if err := b.ended(&b.endOnStatus); err != nil {
		return provider.State{}, err
	}
	return b.scriptedBank.Status(ctx, p)
}

// Cancel cancels a payment the bank has while a session is live.
func (b *loginBank) Cancel(_ context.Context, p provider.Payment) (provider.State, *provider.Action, error) {
	if b.LoginNeeded() {
		return provider.State{}, nil, errors.Join(errors.New("the bank ended the session"), provider.ErrGrantInactive, provider.ErrNotProcessed)
	}
	return provider.State{BankRef: p.State.BankRef, Status: provider.StatusCancelled, BankStatus: "CANC", Final: true}, nil, nil
}

// RevokeGrant forgets the session (logs out): there is nothing else at the bank.
func (b *loginBank) RevokeGrant(_ context.Context, _ string, by provider.RevokedBy) (string, error) {
	b.lmu.Lock()
	defer b.lmu.Unlock()
	b.session = false
	return string(by), nil
}

// Lookup: the fake knows whether a request ever reached it; one that did it cannot find.
func (b *loginBank) Lookup(_ context.Context, p provider.Payment) (provider.State, error) {
	b.lmu.Lock()
	defer b.lmu.Unlock()
	if b.attempted[p.Request.Key] {
		return provider.State{}, provider.ErrCannotReconcile
	}
	return provider.State{}, provider.ErrNotFound
}

func loginEnv(t *testing.T) (*walletEnv, *loginBank, Consent) {
	t.Helper()
	e := newWalletEnv(t, newBankEnv(t), Limits{})
	lb := &loginBank{scriptedBank: newScriptedBank(), attempted: map[string]bool{}}
	w, err := New(Config{Ledger: e.ledger, SCA: e.auth, Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() },
		Banks: map[string]provider.Bank{testBankID: uaeBank(t, e.client, e.tokens, nil), euBankID: lb}})
	if err != nil {
		t.Fatal(err)
	}
	e.wallet = w
	link, err := w.RecordLink(context.Background(), euBankID, "DE89 3704 0044 0532 0130 00", "Erika Mustermann", "EUR")
	if err != nil {
		t.Fatal(err)
	}
	return e, lb, link
}

// answerer answers every bank step: the login with the answers given in turn (before the
// payment is saved through ContinueLogin, after through ContinuePayment), the approval with
// the password and the code. shown records each login page with the error shown with it.
type answerer struct {
	t       *testing.T
	w       *Wallet
	prepID  string
	mu      sync.Mutex
	answers []string
	shown   []string
	cancel  func() // called instead of answering a login once the payment is saved, when set
}

func (a *answerer) progress(ev Event) {
	if ev.Action == nil {
		return
	}
	ctx := context.Background()
	var in provider.Input
	switch ev.Action.Kind {
	case provider.ActionRedirect:
		a.mu.Lock()
		s := ev.Action.URL
		if ev.Err != nil {
			s += " (" + ev.Err.Error() + ")"
		}
		a.shown = append(a.shown, fmt.Sprintf("%s saved=%v", s, ev.PaymentID != 0))
		if ev.PaymentID != 0 && a.cancel != nil {
			a.mu.Unlock()
			a.cancel()
			return
		}
		if len(a.answers) == 0 {
			a.mu.Unlock()
			a.t.Errorf("a login asked with no answer left")
			return
		}
		in.CallbackURL, a.answers = a.answers[0], a.answers[1:]
		a.mu.Unlock()
	case provider.ActionPassword:
		in.Password = fakeBankPassword
	default:
		in.OTP = fakeBankOTP
	}
	go func() {
		var err error
		if ev.PaymentID == 0 {
			err = a.w.ContinueLogin(ctx, a.prepID, in)
		} else {
			err = a.w.ContinuePayment(ctx, ev.PaymentID, in)
		}
		if err != nil {
			a.t.Error(err)
		}
	}()
}

func prepareEUR(t *testing.T, e *walletEnv, link Consent) *Prepared {
	t.Helper()
	pp, err := e.wallet.Prepare(context.Background(), Draft{ConsentID: link.ID, Amount: "EUR 12.50", Reference: "Invoice 42",
		NewPayee: &PayeeInput{Name: "Max Muster", IBAN: "FR14 2004 1010 0505 0001 3M02 606"}})
	if err != nil {
		t.Fatal(err)
	}
	return pp
}

// TestLoginBeforeBuild: at a bank that wants the payer logged in, Submit asks for the login after
// the wallet's SCA and before the payment is built or saved (no payment id on the event); a
// wrong address is shown again with its error on the same page, a login the bank refused begins
// a new one, the right address opens the session; then the payment is built with it, sent once,
// approved and executed. A second payment asks for no login; ending the link logs out.
func TestLoginBeforeBuild(t *testing.T) {
	e, lb, link := loginEnv(t)
	ctx := context.Background()
	pp := prepareEUR(t, e, link)
	a := &answerer{t: t, w: e.wallet, prepID: pp.ID, answers: []string{"https://evil.example/cb", overLogin, goodLogin}}
	p, err := e.wallet.Submit(ctx, pp.ID, testPIN, e.scaClock.nextCode(t, e.totp), a.progress)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != PaymentExecuted || !p.Final {
		t.Fatalf("payment %s final %v", p.Status, p.Final)
	}
	want := []string{"https://bank.example/login/1 saved=false",
		"https://bank.example/login/1 (that is not the address payterm asked the bank to send your browser back to) saved=false",
		"https://bank.example/login/2 (the bank did not open a session: this login at the bank is over: begin a new one) saved=false"}
	if got := a.shown; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("login pages shown:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(lb.builtWith) != 1 || !lb.builtWith[0] || lb.sends != 1 {
		t.Fatalf("built %v (with a session each time?), sent %d", lb.builtWith, lb.sends)
	}
	pp2 := prepareEUR(t, e, link)
	b := &answerer{t: t, w: e.wallet, prepID: pp2.ID}
	if p2, err := e.wallet.Submit(ctx, pp2.ID, testPIN, e.scaClock.nextCode(t, e.totp), b.progress); err != nil || p2.Status != PaymentExecuted {
		t.Fatalf("second payment %s: %v", p2.Status, err)
	}
	if len(b.shown) != 0 || lb.begun != 2 {
		t.Fatalf("the second payment asked a login again: %v", b.shown)
	}
	// Ending the link logs out at the bank: the provider forgets the session.
	if err := e.wallet.RevokeConsent(ctx, link.ID); err != nil || !lb.LoginNeeded() {
		t.Fatalf("end the link: %v (still logged in: %v)", err, !lb.LoginNeeded())
	}
}

// TestLoginRefusedSavesNothing: a login the bank will not start leaves nothing behind: Submit
// says the payer is not logged in (ErrLoginNeeded), no payment is saved, nothing was built.
func TestLoginRefusedSavesNothing(t *testing.T) {
	e, lb, link := loginEnv(t)
	lb.beginErr = errors.New("the bank did not say where to log in")
	pp := prepareEUR(t, e, link)
	_, err := e.wallet.Submit(context.Background(), pp.ID, testPIN, e.scaClock.nextCode(t, e.totp), nil)
	var pr *Problem
	if !errors.Is(err, ErrLoginNeeded) || !errors.As(err, &pr) || !strings.Contains(pr.What, "not logged in") {
		t.Fatalf("Submit: %v", err)
	}
	open, oerr := e.ledger.OpenPayments(context.Background())
	if oerr != nil || len(open) != 0 || len(lb.builtWith) != 0 {
		t.Fatalf("saved %d payments, built %d: %v", len(open), len(lb.builtWith), oerr)
	}
}

// TestSessionEndedBeforeSend: the bank ends the session and refuses the send (nothing
// processed). Watched, the wallet asks for a login in the same delivery and sends once more;
// the payment is executed with one send that reached the bank. Unwatched (the payer stopped
// watching at the login), the payment is left Prepared, not Sending (the bank processed
// nothing), and a background resume does not wait for a login: it drops the payment (Abandoned,
// never sent) and says the bank needs one (ErrLoginNeeded).
func TestSessionEndedBeforeSend(t *testing.T) {
	t.Run("watched", func(t *testing.T) {
		e, lb, link := loginEnv(t)
		lb.session, lb.endOnSend = true, 1
		pp := prepareEUR(t, e, link)
		a := &answerer{t: t, w: e.wallet, prepID: pp.ID, answers: []string{goodLogin}}
		p, err := e.wallet.Submit(context.Background(), pp.ID, testPIN, e.scaClock.nextCode(t, e.totp), a.progress)
		if err != nil || p.Status != PaymentExecuted {
			t.Fatalf("payment %s: %v", p.Status, err)
		}
		if len(a.shown) != 1 || !strings.HasSuffix(a.shown[0], "saved=true") || lb.sends != 1 || len(lb.attempted) != 1 {
			t.Fatalf("logins %v, sends that reached the bank %d", a.shown, lb.sends)
		}
		atts, _ := e.ledger.Attempts(context.Background(), p.ID)
		if n := countKind(atts, "send"); n != 2 {
			t.Fatalf("%d send attempts logged, want 2 (refused, then sent): %+v", n, atts)
		}
	})
	t.Run("unwatched", func(t *testing.T) {
		e, lb, link := loginEnv(t)
		lb.session, lb.endOnSend = true, 1
		pp := prepareEUR(t, e, link)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		a := &answerer{t: t, w: e.wallet, prepID: pp.ID, cancel: cancel}
		p, err := e.wallet.Submit(ctx, pp.ID, testPIN, e.scaClock.nextCode(t, e.totp), a.progress)
		if !errors.Is(err, context.Canceled) || p.ID == 0 {
			t.Fatalf("Submit stopped at the login: %+v %v", p, err)
		}
		got, _ := e.ledger.Payment(context.Background(), p.ID)
		if got.Status != PaymentPrepared || lb.sends != 0 {
			t.Fatalf("the payment is %s with %d sends, want Prepared and none", got.Status, lb.sends)
		}
		err = e.wallet.Resume(context.Background(), nil)
		if !errors.Is(err, ErrLoginNeeded) {
			t.Fatalf("Resume: %v", err)
		}
		got, _ = e.ledger.Payment(context.Background(), p.ID)
		if got.Status != PaymentAbandoned || !got.Final || lb.sends != 0 || lb.begun != 1 || len(lb.attempted) != 0 {
			t.Fatalf("after resume the payment is %s (final %v), %d sends, %d logins begun", got.Status, got.Final, lb.sends, lb.begun)
		}
		// Dropped for good: a login later does not revive it.
		lb.session = true
		if err := e.wallet.Resume(context.Background(), nil); err != nil || lb.sends != 0 {
			t.Fatalf("a second resume: %v, %d sends", err, lb.sends)
		}
	})
}

func countKind(atts []Attempt, kind string) int {
	n := 0
	for _, a := range atts {
		if a.Kind == kind {
			n++
		}
	}
	return n
}

// TestSessionEndedWhileTheBankHasThePayment: the bank ends the session after it created the
// payment — while asking for its approval, or while payterm follows its status. A watched
// delivery asks for the login and asks the bank again; nothing is sent twice, the payment is
// executed. Unwatched, the payment stays where it is (not final, checked again later).
func TestSessionEndedWhileTheBankHasThePayment(t *testing.T) {
	for _, at := range []string{"approve", "status"} {
		t.Run(at, func(t *testing.T) {
			e, lb, link := loginEnv(t)
			lb.session = true
			if at == "approve" {
				lb.endOnApprove = 1
			} else {
				lb.endOnStatus = 1
			}
			pp := prepareEUR(t, e, link)
			a := &answerer{t: t, w: e.wallet, prepID: pp.ID, answers: []string{goodLogin}}
			p, err := e.wallet.Submit(context.Background(), pp.ID, testPIN, e.scaClock.nextCode(t, e.totp), a.progress)
			if err != nil || p.Status != PaymentExecuted || !p.Final {
				t.Fatalf("payment %s final %v: %v", p.Status, p.Final, err)
			}
			if len(a.shown) != 1 || !strings.HasSuffix(a.shown[0], "saved=true") || lb.sends != 1 {
				t.Fatalf("logins %v, sends %d", a.shown, lb.sends)
			}
		})
	}
	t.Run("unwatched", func(t *testing.T) {
		e, lb, link := loginEnv(t)
		lb.session, lb.endOnStatus = true, 1
		pp := prepareEUR(t, e, link)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		a := &answerer{t: t, w: e.wallet, prepID: pp.ID, cancel: cancel}
		p, err := e.wallet.Submit(ctx, pp.ID, testPIN, e.scaClock.nextCode(t, e.totp), a.progress)
		if !errors.Is(err, context.Canceled) || p.ID == 0 {
			t.Fatalf("Submit stopped at the login: %+v %v", p, err)
		}
		err = e.wallet.Resume(context.Background(), nil)
		got, _ := e.ledger.Payment(context.Background(), p.ID)
		if !errors.Is(err, provider.ErrGrantInactive) || got.Final || got.BankPaymentID == "" || lb.sends != 1 {
			t.Fatalf("after resume: %v; %s final %v, %d sends", err, got.Status, got.Final, lb.sends)
		}
	})
}

// TestCancelNeedsLogin: a payment awaiting the bank's approval cannot be cancelled once the bank
// ended the login: CancelPayment says so and how to log in (ErrLoginNeeded), nothing changes;
// asking the bank again for the approval (ApproveAgain) asks for the login first; then the
// cancellation goes through.
func TestCancelNeedsLogin(t *testing.T) {
	e, lb, link := loginEnv(t)
	lb.session = true
	ctx := context.Background()
	pp := prepareEUR(t, e, link)
	stopAt := func(cancel func()) func(Event) {
		return func(ev Event) {
			if ev.Action != nil && ev.Action.Kind == provider.ActionPassword {
				cancel() // the payer stops watching at the bank's question
			}
		}
	}
	sctx, cancel := context.WithCancel(ctx)
	p, err := e.wallet.Submit(sctx, pp.ID, testPIN, e.scaClock.nextCode(t, e.totp), stopAt(cancel))
	cancel()
	if !errors.Is(err, context.Canceled) || p.Status != PaymentAwaitingBankSCA {
		t.Fatalf("Submit: %s %v", p.Status, err)
	}
	lb.lmu.Lock()
	lb.session = false // the bank ended the login meanwhile
	lb.lmu.Unlock()
	_, err = e.wallet.CancelPayment(ctx, p.ID)
	var pr *Problem
	if !errors.Is(err, ErrLoginNeeded) || !errors.As(err, &pr) || !strings.Contains(pr.Next, "Press a") {
		t.Fatalf("cancel without a login: %v", err)
	}
	if got, _ := e.ledger.Payment(ctx, p.ID); got.Status != PaymentAwaitingBankSCA {
		t.Fatalf("the payment became %s", got.Status)
	}
	actx, acancel := context.WithCancel(ctx)
	defer acancel()
	logins := 0
	progress := func(ev Event) {
		switch {
		case ev.Action != nil && ev.Action.Login:
			logins++
			go func() {
				if err := e.wallet.ContinuePayment(ctx, ev.PaymentID, provider.Input{CallbackURL: goodLogin}); err != nil {
					t.Error(err)
				}
			}()
		case ev.Action != nil && ev.Action.Kind == provider.ActionPassword:
			acancel()
		}
	}
	if _, err := e.wallet.ApproveAgain(actx, p.ID, progress); !errors.Is(err, context.Canceled) || logins != 1 {
		t.Fatalf("approve again: %v, %d logins", err, logins)
	}
	got, err := e.wallet.CancelPayment(ctx, p.ID)
	if err != nil || got.Status != PaymentCancelled || lb.sends != 1 {
		t.Fatalf("cancel after the login: %s %v (%d sends)", got.Status, err, lb.sends)
	}
}
