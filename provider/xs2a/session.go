package xs2aprov

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/xs2a"
)

// SpareBank 1 answers nothing about payments without a PSU session: the payer logs in at the
// bank (BankID) once, and its redirect back carries psu-id and tpp-session-id, which go on every
// later call as PSU-ID and TPP-Session-ID. That session is the bank's grant for the wallet's
// link: BeginSession and FinishSession open it, the core keeps it (Session.Keystore) and hands
// it back after a restart (UseSession).
//
// The tpp-session-id is a bearer credential — whoever holds it with the psu-id acts in the
// payer's session — and the psu-id is the payer's national identity number at SpareBank 1:
// both belong in the keystore, never in the ledger, a log or an error. The stored request
// leaves both out; Send adds the live session's (the signature over psu-id is checked first).

// Session is an open SpareBank 1 PSU session. Its printed forms are redacted.
type Session struct {
	PSUID  string      // personal data (the payer's id at the bank)
	ID     xs2a.Secret // tpp-session-id
	Opened time.Time
}

func (s Session) String() string   { return "xs2aprov.Session{‹redacted›}" }
func (s Session) GoString() string { return s.String() }

type sessionJSON struct {
	PSUID  string    `json:"psuId"`
	ID     string    `json:"tppSessionId"`
	Opened time.Time `json:"opened"`
}

// Keystore is the session as the keystore keeps it (the only form that holds the id).
func (s Session) Keystore() []byte {
	b, _ := json.Marshal(sessionJSON{PSUID: s.PSUID, ID: s.ID.Reveal(), Opened: s.Opened})
	return b
}

// ParseSession reads what Keystore wrote.
func ParseSession(b []byte) (Session, error) {
	var j sessionJSON
	if err := json.Unmarshal(b, &j); err != nil || !idOK(j.PSUID) || !idOK(j.ID) || len(j.PSUID) > 128 {
		return Session{}, errors.New("the stored SpareBank 1 session is unreadable: log in at the bank again")
	}
	return Session{PSUID: j.PSUID, ID: xs2a.Secret(j.ID), Opened: j.Opened}, nil
}

// sessionStart is a login waiting for its redirect.
type sessionStart struct {
	state   string
	started time.Time
}

// sessionTTL is how long a login link waits for the payer.
const sessionTTL = 10 * time.Minute

// BeginSession asks SpareBank 1 where the payer logs in (GET /v1/users without a session:
// 401 with scaRedirect) and returns that page as an Action the core shows. The redirect back
// carries a state of ours (memory only), which FinishSession checks.
func (b *Bank) BeginSession(ctx context.Context) (provider.Action, error) {
	if !b.prof.PSUSession {
		return provider.Action{}, fmt.Errorf("%s needs no login before a payment", b.cfg.Name)
	}
	var raw [24]byte
	if _, err := io.ReadFull(b.cfg.Rand, raw[:]); err != nil {
		return provider.Action{}, fmt.Errorf("session state: %w", err)
	}
	state := base64.RawURLEncoding.EncodeToString(raw[:])
	back, err := url.Parse(b.cfg.Client.RedirectURI)
	if err != nil || b.cfg.Client.RedirectURI == "" {
		return provider.Action{}, errors.New("SpareBank 1's login needs a redirect URI: set one for this bank")
	}
	q := back.Query()
	q.Set("state", state)
	back.RawQuery = q.Encode()
	call := xs2a.Call{PSU: xs2a.PSU{IPAddress: b.cfg.PSUIPAddress, UserAgent: b.cfg.PSUUserAgent}, RedirectURI: back.String()}
	if err := b.holdOff(ctx); err != nil {
		return provider.Action{}, err
	}
	req, err := b.cl.BuildEstablishSession(call)
	if err != nil {
		return provider.Action{}, inputError("the login cannot be started", err)
	}
	rep, err := b.cl.Send(ctx, req)
	if err != nil {
		if errors.Is(err, xs2a.ErrRateLimited) {
			return provider.Action{}, b.busy(req, err)
		}
		return provider.Action{}, wrap(req, err, "SpareBank 1 did not say where to log in")
	}
	if rep.SessionRedirect == nil || !hrefOK("scaRedirect", rep.SessionRedirect.Href) {
		return provider.Action{}, wrap(req, errors.New("no login link"), "SpareBank 1 did not say where to log in")
	}
	b.mu.Lock()
	b.pending = &sessionStart{state: state, started: b.cfg.Clock()}
	b.mu.Unlock()
	return provider.Action{Kind: provider.ActionRedirect, URL: rep.SessionRedirect.Href, NeedsCallback: true,
		Message: "Log in at SpareBank 1 to let payterm start payments from your account."}, nil
}

// FinishSession reads the address the payer's browser landed on after the login: the state
// must be the one BeginSession made (once, within 10 minutes), then psu-id and tpp-session-id
// open the session. The core keeps the returned Session in the keystore.
func (b *Bank) FinishSession(_ context.Context, callbackURL string) (Session, error) {
	u, err := url.Parse(strings.TrimSpace(callbackURL))
	if err != nil || !b.ourRedirect(u) {
		return Session{}, errors.New("that is not the address payterm asked SpareBank 1 to send your browser back to: paste the address your browser shows after the login")
	}
	q := u.Query()
	b.mu.Lock()
	pend := b.pending
	b.mu.Unlock()
	if pend == nil || b.cfg.Clock().Sub(pend.started) > sessionTTL {
		return Session{}, errors.New("no login is waiting (payterm restarted, or it is over 10 minutes old): log in again")
	}
	if len(q["state"]) != 1 || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(pend.state)) != 1 {
		return Session{}, errors.New("this address belongs to another login: log in again from payterm")
	}
	b.mu.Lock()
	if b.pending == pend {
		b.pending = nil
	}
	b.mu.Unlock()
	xs, err := xs2a.ParseSessionCallback(q)
	if err != nil {
		var denied *xs2a.SessionDeniedError
		if errors.As(err, &denied) {
			return Session{}, errors.New("SpareBank 1 did not open a session (the login was cancelled or failed): log in again")
		}
		return Session{}, err
	}
	s := Session{PSUID: xs.PSUID, ID: xs.TPPSessionID, Opened: b.cfg.Clock()}
	b.UseSession(s)
	return s, nil
}

// UseSession puts a session into use: one a login just opened, or one the core kept (after a
// restart). It replaces the kept one, which is then not read any more.
func (b *Bank) UseSession(s Session) {
	b.loadMu.Lock()
	b.keptLoaded = true
	b.loadMu.Unlock()
	b.mu.Lock()
	b.session = &xs2a.Session{PSUID: s.PSUID, TPPSessionID: s.ID}
	b.mu.Unlock()
}

// EndSession forgets the session (the bank ended it, or the payer unlinked the bank), here and
// in the keeper. Forgetting there is best effort: a session kept after all is refused by the
// bank at its first use after a restart (401), which asks for a login again.
func (b *Bank) EndSession() {
	_ = b.LoadKeptSession() // a kept session not read yet is ended too
	b.mu.Lock()
	had := b.session != nil
	b.session = nil
	b.mu.Unlock()
	if had && b.cfg.Sessions != nil {
		_ = b.cfg.Sessions.Forget()
	}
}

// RestoreSession puts back a session the keeper kept (Session.Keystore's bytes) after a
// restart. An unreadable one is an error; the bank then needs a login.
func (b *Bank) RestoreSession(kept []byte) error {
	s, err := ParseSession(kept)
	if err != nil {
		return err
	}
	b.UseSession(s)
	return nil
}

// LoadKeptSession reads the session the keeper kept (Config.Sessions, when it is a
// SessionLoader) and puts it into use, once: the core calls it when its keystore has opened,
// and every use of the session calls it first, so a session kept before a restart is never
// taken for a missing one. An unreadable kept session is forgotten (the bank then needs a
// login, which replaces it). A keystore that cannot be read is reported and tried again at the
// next use; meanwhile the bank has no session. A session a login opened meanwhile is kept.
func (b *Bank) LoadKeptSession() error {
	l, ok := b.cfg.Sessions.(SessionLoader)
	if !ok || !b.prof.PSUSession {
		return nil
	}
	b.loadMu.Lock()
	defer b.loadMu.Unlock()
	if b.keptLoaded {
		return nil
	}
	kept, err := l.Load()
	if err != nil {
		return err
	}
	b.keptLoaded = true
	if kept == nil {
		return nil
	}
	s, err := ParseSession(kept)
	if err != nil {
		return l.Forget()
	}
	b.mu.Lock()
	if b.session == nil {
		b.session = &xs2a.Session{PSUID: s.PSUID, TPPSessionID: s.ID}
	}
	b.mu.Unlock()
	return nil
}

// LoginNeeded (provider.Login): SpareBank 1 without a PSU session.
func (b *Bank) LoginNeeded() bool { return b.prof.PSUSession && !b.HasSession() }

// BeginLogin (provider.Login) is BeginSession.
func (b *Bank) BeginLogin(ctx context.Context) (provider.Action, error) { return b.BeginSession(ctx) }

// FinishLogin (provider.Login) is FinishSession with the address the browser landed on, then
// the session goes to the keeper. A session that cannot be kept is not used either: the payer
// would otherwise be logged out by the next restart without being told.
func (b *Bank) FinishLogin(ctx context.Context, in provider.Input) error {
	if in.CallbackURL == "" {
		return errors.New("paste the address your browser shows after the login at SpareBank 1")
	}
	s, err := b.FinishSession(ctx, in.CallbackURL)
	if err != nil {
		b.mu.Lock()
		over := b.pending == nil || b.cfg.Clock().Sub(b.pending.started) > sessionTTL
		b.mu.Unlock()
		if over { // refused, used or out of time: only a new login helps
			return &callError{Msg: err.Error(), Means: []error{provider.ErrLoginOver}, Log: provider.Attempt{NotSent: true}}
		}
		return err
	}
	if b.cfg.Sessions != nil {
		if err := b.cfg.Sessions.Keep(s.Keystore()); err != nil {
			b.mu.Lock()
			b.session = nil
			b.mu.Unlock()
			return fmt.Errorf("SpareBank 1 opened a session, but payterm could not keep it in its secret store: %s", safetext.Error(err))
		}
	}
	return nil
}

// HasSession reports whether this run holds a session.
func (b *Bank) HasSession() bool {
	_ = b.LoadKeptSession() // a keystore that cannot be read leaves the bank logged out
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.session != nil
}
