package xs2aprov

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/payterm/payterm/provider"
	bank "github.com/payterm/payterm/sandbox/xs2a"
	"github.com/payterm/payterm/xs2a"
)

// memKeeper is the core's keystore for one session, in memory; failKeep makes Keep fail.
type memKeeper struct {
	mu       sync.Mutex
	kept     []byte
	keeps    int
	forgets  int
	failKeep bool
}

func (k *memKeeper) Keep(b []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.failKeep {
		return errors.New("the keyring is locked")
	}
	k.kept, k.keeps = append([]byte(nil), b...), k.keeps+1
	return nil
}

func (k *memKeeper) Forget() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.kept, k.forgets = nil, k.forgets+1
	return nil
}

// login is the payer's login through provider.Login: the bank's page decided as approve says.
func (e *env) login(approve bool) error {
	e.t.Helper()
	if !e.b.LoginNeeded() {
		e.t.Fatal("a login asked with a session held")
	}
	act, err := e.b.BeginLogin(ctx)
	if err != nil || act.Kind != provider.ActionRedirect || !act.NeedsCallback || act.URL == "" {
		e.t.Fatalf("begin login: %+v %v", act, err)
	}
	back := e.Decide(act.URL, approve, url.Values{"psu": {sb1PSU}})
	return e.b.FinishLogin(ctx, provider.Input{CallbackURL: back.String()})
}

// TestSB1LoginKept: provider.Login at SpareBank 1. An empty or foreign answer leaves the login
// waiting (not ErrLoginOver); a login the payer denied at the bank is over; an approved one opens
// the session and hands it to the keeper — the only place it is kept —, and a provider built
// after a restart takes it back (RestoreSession) and pays without a new login. A keeper that
// cannot keep it leaves no session. When the bank ends the session, the send is refused with
// nothing processed, the keeper forgets it, and after the next login the same payment goes
// again under a new X-Request-ID (Rebuild): the bank has it once.
func TestSB1LoginKept(t *testing.T) {
	k := &memKeeper{}
	e := start(t, bank.ProfileSB1(), xs2a.SpareBank1(), func(c *Config) { c.Sessions = k })
	if _, ok := any(e.b).(provider.Login); !ok || e.b.Caps().Profile != "sb1" {
		t.Fatal("the SpareBank 1 provider is not a provider.Login")
	}
	if _, err := e.b.BeginLogin(ctx); err != nil {
		t.Fatal(err)
	}
	for _, in := range []provider.Input{{}, {CallbackURL: "https://evil.example/cb?psu-id=x&tpp-session-id=y"}} {
		if err := e.b.FinishLogin(ctx, in); err == nil || errors.Is(err, provider.ErrLoginOver) || !e.b.LoginNeeded() {
			t.Fatalf("answer %q: %v", in.CallbackURL, err)
		}
	}
	if err := e.login(false); !errors.Is(err, provider.ErrLoginOver) || !e.b.LoginNeeded() || k.keeps != 0 {
		t.Fatalf("a denied login: %v (kept %d)", err, k.keeps)
	}
	if err := e.login(true); err != nil || e.b.LoginNeeded() || k.keeps != 1 {
		t.Fatalf("login: %v (kept %d)", err, k.keeps)
	}
	s, err := ParseSession(k.kept)
	if err != nil || s.PSUID != sb1PSU || s.ID.Reveal() != e.sessionIDs()[0] {
		t.Fatalf("the kept session: %v", err)
	}
	p := e.pay(nok(250_00))
	if p.State.BankRef == "" {
		t.Fatal("not created")
	}

	// A restart: a new provider for the same bank takes the kept session back.
	k2 := &memKeeper{}
	cfg := e.b.cfg
	cfg.Sessions = k2
	b2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !b2.LoginNeeded() || b2.RestoreSession([]byte(`{"psuId":"x"}`)) == nil || !b2.LoginNeeded() {
		t.Fatal("a new provider has a session, or took an unreadable one")
	}
	if err := b2.RestoreSession(k.kept); err != nil || b2.LoginNeeded() {
		t.Fatalf("restore: %v", err)
	}
	e.b = b2
	if p := e.pay(nok(260_00)); p.State.BankRef == "" {
		t.Fatal("not created with the restored session")
	}

	// The bank ends the session: refused, nothing processed, forgotten here and in the keeper.
	if n, err := e.Bank.EndSessions(); n != 1 || err != nil {
		t.Fatalf("ended %d: %v", n, err)
	}
	k2.kept = []byte("still here")
	req := e.build(nok(270_00))
	_, err = e.b.Send(ctx, payment(req))
	if !errors.Is(err, provider.ErrGrantInactive) || !errors.Is(err, provider.ErrNotProcessed) || !e.b.LoginNeeded() || k2.forgets != 1 || k2.kept != nil {
		t.Fatalf("send in an ended session: %v (forgotten %d)", err, k2.forgets)
	}
	if err := e.login(true); err != nil {
		t.Fatal(err)
	}
	_, err = e.b.Send(ctx, payment(req))
	var rb *provider.Rebuild
	if !errors.As(err, &rb) || rb.Request.Key == req.Key {
		t.Fatalf("the refused create goes again as it was: %v", err)
	}
	if p := e.send(payment(rb.Request)); p.State.BankRef == "" {
		t.Fatal("not created after the new login")
	}

	// A session that cannot be kept is not used.
	k2.failKeep = true
	e.b.EndSession()
	if err := e.login(true); err == nil || !strings.Contains(err.Error(), "secret store") || !e.b.LoginNeeded() {
		t.Fatalf("login with a failing keeper: %v", err)
	}
	e.noSecrets(e.sessionIDs()...)
	e.noPII(sb1PSU)
}

// TestSB1AccountForms: the linked account may be configured as kontonummer or as its NO IBAN;
// each product gets the form it takes (domestic: the 11 digits; SEPA: the IBAN). The bank
// creates both.
func TestSB1AccountForms(t *testing.T) {
	e := start(t, bank.ProfileSB1(), xs2a.SpareBank1(), nil)
	e.sb1Session()
	dom := nok(100_00)
	dom.Debtor = &provider.Party{Account: "NO9386011117947"}
	req := e.build(dom)
	if body := storedBody(t, req); !strings.Contains(body, `"debtorAccount":{"bban":"86011117947"}`) {
		t.Fatalf("the domestic payment's debtor is not the kontonummer: %s", body)
	}
	if p := e.send(payment(req)); p.State.BankRef == "" {
		t.Fatal("domestic not created")
	}
	eur := intent("sepa-credit-transfers", "EUR", 50_00, "86011117947", "DE02100100109307118603", provider.SchemeIBAN)
	eur.Debtor.Scheme = ""
	req = e.build(eur)
	if body := storedBody(t, req); !strings.Contains(body, `"debtorAccount":{"iban":"NO9386011117947"}`) {
		t.Fatalf("the SEPA payment's debtor is not the NO IBAN: %s", body)
	}
	if p := e.send(payment(req)); p.State.BankRef == "" {
		t.Fatal("SEPA not created")
	}
}

// storedBody is the JSON body of a stored create.
func storedBody(t *testing.T, req provider.Request) string {
	t.Helper()
	r, _, err := decodeStored(req.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return string(r.Body)
}

// FuzzParseSession: what the keystore hands back at start (RestoreSession) is read strictly:
// anything ParseSession accepts has header-safe ids (printable ASCII, no space: they go out as
// PSU-ID and TPP-Session-ID) and is written back byte-equivalently by Keystore; it never panics,
// and its printed forms never show the ids.
func FuzzParseSession(f *testing.F) {
	f.Add([]byte(`{"psuId":"01017012345","tppSessionId":"abc123","opened":"2026-12-06T10:00:00Z"}`))
	f.Add([]byte(`{"psuId":"x"}`))
	f.Add([]byte(`{"psuId":"a b","tppSessionId":"c"}`))
	f.Add([]byte(`{"psuId":"a","tppSessionId":"c\r\nX-Evil: 1"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := ParseSession(raw)
		if err != nil {
			if !strings.Contains(err.Error(), "log in at the bank again") {
				t.Fatalf("refusal without a next step: %v", err)
			}
			return
		}
		for _, v := range []string{s.PSUID, s.ID.Reveal()} {
			if v == "" || strings.ContainsAny(v, " \r\n") || !printable(v, 512) {
				t.Fatalf("accepted an id that is not header-safe: %q", v)
			}
		}
		again, err := ParseSession(s.Keystore())
		if err != nil || again.PSUID != s.PSUID || again.ID != s.ID || !again.Opened.Equal(s.Opened) {
			t.Fatalf("Keystore does not round-trip: %v", err)
		}
		for _, shown := range []string{s.String(), s.GoString(), fmt.Sprintf("%v %+v %#v", s, s, s)} {
			// Short ids ("2") occur in any text by chance; real ones are long.
			if len(s.ID.Reveal()) >= 8 && strings.Contains(shown, s.ID.Reveal()) || len(s.PSUID) >= 8 && strings.Contains(shown, s.PSUID) {
				t.Fatalf("the printed session shows an id: %s", shown)
			}
		}
	})
}
