package provider

// What a bank may do beyond Bank, each an interface the core asks for: approve each payment
// itself (Action, Input, Approver), cancel, take bundles, check payees, log the payer in, keep
// the payer's tokens, forecast its own approval.

import (
	"context"
	"errors"
	"time"
)

// Bank SCA per payment: at a bank that authenticates the payer for every payment, a created
// payment waits (StatusAwaitingBankSCA) until the payer approves it. The core asks the
// provider's Approver what the payer must do, shows it, and passes the payer's answer back.

// ActionKind is what the payer must do for the bank to approve a payment.
type ActionKind string

const (
	// ActionRedirect: open URL in a browser (here or on a phone); the bank's page
	// authenticates the payer. Completion by polling, or by the address the browser lands on
	// when NeedsCallback.
	ActionRedirect ActionKind = "redirect"
	// ActionDecoupled: approve in the bank's own app; nothing is typed here; polled.
	ActionDecoupled ActionKind = "decoupled"
	// ActionPassword: the payer's password at the bank, typed into the wallet (embedded SCA).
	ActionPassword ActionKind = "password"
	// ActionChooseMethod: pick how the bank sends the one-time code (Methods).
	ActionChooseMethod ActionKind = "choose-method"
	// ActionOTP: the one-time code (TAN) the bank sent (Challenge says where).
	ActionOTP ActionKind = "otp"
)

// Method is one way the bank can authenticate the payer (an SMS code, an app, …).
type Method struct {
	ID    string
	Label string // the bank's words, cleaned
}

// Action is what the payer must do now. Every text in it comes from the bank, cleaned by the
// provider's decoder.
type Action struct {
	Kind          ActionKind
	URL           string
	NeedsCallback bool
	Message       string // the bank's message to the payer (psuMessage)
	Methods       []Method
	Challenge     string
	AttemptsLeft  int           // 0: the bank does not say
	PollAfter     time.Duration // ask again after this with no answer (0: only when the payer answers)
	Deadline      time.Time     // the bank gives up after this (zero: it does not say)
	// Login: the bank's login (provider.Login), asked before the payment is sent; nothing of
	// the payment has reached the bank. Set by the core.
	Login bool
}

// Input is the payer's answer to an Action. Password and OTP are secrets: the core neither
// stores nor logs them, and passes them to Approve only.
type Input struct {
	Password    string
	MethodID    string
	OTP         string
	CallbackURL string // the address the browser landed on after the bank's page
}

// Empty reports an Input carrying no answer (a poll).
func (in Input) Empty() bool { return in == Input{} }

// String redacts: an Input never reaches a log or an error.
func (in Input) String() string { return "provider.Input{‹redacted›}" }

// GoString redacts for %#v.
func (in Input) GoString() string { return in.String() }

// Approver is implemented by the providers of banks with per-payment SCA.
type Approver interface {
	// Approve drives the bank's approval of a created payment. A zero Input starts the
	// approval or checks how it stands; otherwise it passes the payer's answer on. It returns
	// the payment's state (with the provider's memory in Blob) and, while the bank still waits
	// for the payer, what the payer must do. A wrong answer the bank lets the payer retry is
	// an Action again (with AttemptsLeft), not an error.
	Approve(ctx context.Context, p Payment, in Input) (State, *Action, error)
}

// Canceller is implemented by the providers of banks that let a payment be cancelled before it
// is executed.
type Canceller interface {
	// Cancel asks the bank to cancel the payment; the returned state says whether it did
	// (StatusCancelled) or what still runs.
	Cancel(ctx context.Context, p Payment) (State, *Action, error)
}

// Bundler is implemented by the providers of banks that approve several payments with one bank
// SCA (Caps.Bundle says how many). Each payment of a bundle is still an ordinary payment to the
// core: built, stored before it leaves, sent, tracked. Only its building and its approval differ.
type Bundler interface {
	// BuildBundled is Build for a payment of a bundle: first is the state of the bundle's first
	// payment, as its Send returned it (nil when this one is the first). Nothing leaves.
	BuildBundled(ctx context.Context, in Intent, ev Evidence, f Facts, first *State) (Request, error)
	// ApproveBundle is Approver.Approve for every created payment of one bundle at once: a
	// zero Input starts the one approval or checks how it stands; the payer's answer completes
	// it (each approved payment goes on, those left out end as the bank says). It returns one
	// state per payment, in order, and while the bank still waits for the payer, what to do.
	// An error with an Action lets the payer answer again (a mistyped address).
	ApproveBundle(ctx context.Context, ps []Payment, in Input) ([]State, *Action, error)
	// RevokeBundlePayments withdraws the whole bundle at the bank: every payment of it not
	// yet submitted ends. It returns each payment's state afterwards, in order.
	RevokeBundlePayments(ctx context.Context, ps []Payment) ([]State, error)
	// RevokeWarning is what the screen says before it asks to revoke a bundle of n payments.
	RevokeWarning(n int) string
}

// PayeeChecker is implemented by providers that check a payee typed at payment time against
// their standard and give its stored form (Party.Wire); the core checks the others itself (a
// plain name and an account of the product's scheme).
type PayeeChecker interface {
	CheckPayee(p Party, product string) (Party, error)
}

// CallbackChecker is implemented by the providers of banks whose payment approval ends with an
// address the payer pastes (Action.NeedsCallback): CheckCallback refuses, without any I/O, an
// address that cannot be the bank's answer (not the redirect address payterm registered, a
// query that cannot be read). The core refuses such a paste at once and the bank's question
// still stands; handed on, it would have ended the approval. Errors quote none of the values.
type CallbackChecker interface {
	CheckCallback(raw string) error
}

// Login is implemented by the providers of banks that want the payer logged in at the bank (a
// session of the bank's own, such as SpareBank 1's PSU session) before a payment can be built
// or sent. The core asks for the login where a payment needs it — after the wallet's own SCA,
// before the payment is built, and again when the bank ends the session while a payment waits —
// shows the Action as any bank step, and passes the payer's answer to FinishLogin. The provider
// keeps the session (in the keystore the core gave it); the core never sees it.
type Login interface {
	// LoginNeeded reports that no session is held: the next payment needs a login first.
	LoginNeeded() bool
	// BeginLogin asks the bank where the payer logs in. Nothing about a payment is sent.
	BeginLogin(ctx context.Context) (Action, error)
	// FinishLogin opens the session from the payer's answer (Input.CallbackURL: the address
	// the browser landed on) and keeps it. An error leaves no session; the login may begin again.
	FinishLogin(ctx context.Context, in Input) error
}

// PayerTokens is a bank that keeps the payer's own tokens from a bank approval (OP: access and
// refresh tokens, kept across restarts): ending the link makes the core call RevokeGrant, which
// forgets them, as for a Login.
type PayerTokens interface {
	HoldsPayerTokens() bool
}

// ApprovalForecaster is a bank that may take a payment without asking the payer to approve
// it, by rules only the bank applies (an SCA exemption: OP's exemption flow). The core calls it
// while preparing a payment (the intent as it will be built), with what its ledger knows of the
// earlier payments at that bank, and shows the words on the review screen. It is a guess: the bank decides, and the words
// say so. "" says nothing (the bank will ask as usual, or the flow is off).
type ApprovalForecaster interface {
	// ForecastApproval may wait on ctx for what the forecast needs (the payer's kept tokens
	// after a restart); it never calls the bank.
	ForecastApproval(ctx context.Context, in Intent, earlier []Earlier, now time.Time) string
}

// Earlier is one earlier payment at the bank as the core's ledger knows it.
type Earlier struct {
	Amount  Money
	Created time.Time
	// Status is the ledger's status: a provider.Status once the bank has the payment, the
	// core's own word before ("Prepared", "Sending", "Unknown", "Refused", …).
	Status Status
	Blob   []byte // the provider's State.Blob, as stored
}

// ErrLoginOver: the login FinishLogin was given an answer for is over (the bank refused it, it
// ran out of time, or it was used): BeginLogin again. Any other FinishLogin error leaves the
// login waiting for a better answer (a mistyped address).
var ErrLoginOver = errors.New("this login at the bank is over: begin a new one")
