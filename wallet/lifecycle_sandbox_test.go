package wallet

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/sandbox"
)

func problemWhat(err error) string {
	var p *Problem
	if errors.As(err, &p) {
		return p.What
	}
	return ""
}

func TestSandboxPauseIsLocalOnly(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	ctx := context.Background()
	c := e.onboard(t, 1, "")
	// A payment prepared before the pause cannot be submitted after it.
	early, err := e.wallet.Prepare(ctx, e.draft("5"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.wallet.PauseConsent(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.wallet.Submit(ctx, early.ID, testPIN, e.scaClock.nextCode(t, e.totp), nil); !strings.Contains(problemWhat(err), "paused") {
		t.Fatalf("submit after pause: %v", err)
	}
	if _, err := e.wallet.Prepare(ctx, e.draft("5")); !strings.Contains(problemWhat(err), "paused") {
		t.Fatalf("prepare on a paused consent: %v", err)
	}
	// The bank was not told: the consent is still Authorized there, and a sync keeps it
	// Authorized and paused locally (never Suspended).
	if st, err := b.bank.ConsentStatus(c.ID); err != nil || st != "Authorized" {
		t.Errorf("bank status = %q, %v", st, err)
	}
	synced, err := e.wallet.SyncConsent(ctx, c.ID)
	if err != nil || synced.Status != ConsentAuthorized || !synced.Paused {
		t.Fatalf("after sync: status %s paused %v, %v", synced.Status, synced.Paused, err)
	}
	if err := e.wallet.ReactivateConsent(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if p, err := e.pay(t, "5", nil); err != nil || p.Status.Outcome() != OutcomeSuccessful {
		t.Fatalf("pay after reactivation: %v %s", err, p.Status)
	}
}

func TestSandboxSyncReflectsBankStatuses(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	ctx := context.Background()
	c := e.onboard(t, 1, "")

	if err := b.bank.SuspendConsent(c.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.wallet.SyncConsents(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := e.ledger.Consent(ctx, c.ID)
	if got.Status != ConsentSuspended {
		t.Fatalf("after suspension: %s", got.Status)
	}
	if _, err := e.wallet.Prepare(ctx, e.draft("5")); !strings.Contains(problemWhat(err), "suspended") {
		t.Errorf("prepare on a suspended consent: %v", err)
	}
	if err := b.bank.RestoreConsent(c.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := e.wallet.SyncConsent(ctx, c.ID); err != nil || got.Status != ConsentAuthorized {
		t.Fatalf("after restore: %s, %v", got.Status, err)
	}
	if err := b.bank.ExpireConsent(c.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := e.wallet.SyncConsent(ctx, c.ID); err != nil || got.Status != ConsentExpired {
		t.Fatalf("after expiry: %s, %v", got.Status, err)
	}
	if _, err := e.wallet.Prepare(ctx, e.draft("5")); !strings.Contains(problemWhat(err), "expired") {
		t.Errorf("prepare on an expired consent: %v", err)
	}
	if err := e.wallet.ReactivateConsent(ctx, c.ID); err == nil {
		t.Error("an expired consent was reactivated")
	}
}

func TestSandboxBankSideRevocationIsReflected(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	ctx := context.Background()
	c := e.onboard(t, 1, "")
	if err := b.bank.RevokeConsent(c.ID); err != nil {
		t.Fatal(err)
	}
	got, err := e.wallet.SyncConsent(ctx, c.ID)
	if err != nil || got.Status != ConsentRevoked || !strings.HasPrefix(got.RevokedBy, "LFI") {
		t.Fatalf("after bank revocation: %s by %q, %v", got.Status, got.RevokedBy, err)
	}
}

// TestSandboxSyncLongUsedConsent: a consent with more than 10,000 payments at the bank still
// syncs. The bank used to list every payment in the consent's Links.Related, a body past the
// client's 1 MiB cap at about 8,000 payments, so SyncConsent failed at every start and every
// 15 minutes; it now lists the latest ones (sandbox/README.md).
func TestSandboxSyncLongUsedConsent(t *testing.T) {
	b := newBankEnvIn(t, t.TempDir())
	e := newWalletEnv(t, b, Limits{})
	ctx := context.Background()
	c := e.onboard(t, 1, "")
	if p, err := e.pay(t, "5", nil); err != nil || p.Status.Outcome() != OutcomeSuccessful {
		t.Fatalf("pay: %v %s", err, p.Status)
	}
	if err := b.bank.SeedPayments(c.ID, 10_500, 1_00); err != nil {
		t.Fatal(err)
	}
	got, err := e.wallet.SyncConsent(ctx, c.ID)
	if err != nil || got.Status != ConsentAuthorized {
		t.Fatalf("sync of a consent with 10,501 payments: %s, %v", got.Status, err)
	}
	if err := e.wallet.SyncConsents(ctx); err != nil {
		t.Fatalf("sync all: %v", err)
	}
}

func TestSandboxRevokeByUser(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	ctx := context.Background()
	c := e.onboard(t, 1, "")
	if err := e.wallet.RevokeConsent(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if st, err := b.bank.ConsentStatus(c.ID); err != nil || st != "Revoked" {
		t.Errorf("bank status = %q, %v", st, err)
	}
	got, _ := e.ledger.Consent(ctx, c.ID)
	if got.Status != ConsentRevoked || got.RevokedBy != "TPP.InitiatedByUser" {
		t.Errorf("ledger = %s by %q", got.Status, got.RevokedBy)
	}
	if _, err := e.store.Load(ctx, c.ID); !errors.Is(err, consent.ErrNoRefreshToken) {
		t.Errorf("refresh token still stored after revocation: %v", err)
	}
	if _, err := e.wallet.Prepare(ctx, e.draft("5")); !strings.Contains(problemWhat(err), "revoked") {
		t.Errorf("prepare on a revoked consent: %v", err)
	}
	if err := e.wallet.ReactivateConsent(ctx, c.ID); err == nil {
		t.Error("a revoked consent was reactivated")
	}
	if _, err := e.wallet.RenewalParams(ctx, c.ID, time.Now().AddDate(0, 6, 0)); err == nil {
		t.Error("a revoked consent was renewed")
	}
}

func TestSandboxRenewCarriesBaseConsentAndKeepsHistory(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, mustLimits(t, "", "1000.00", "", 0, ""))
	ctx := context.Background()
	first := e.onboard(t, 2, "")
	if _, err := e.pay(t, "10", nil); err != nil {
		t.Fatal(err)
	}
	second := e.onboard(t, 2, first.ID)
	assertRetired(t, e, b, first.ID)
	third := e.onboard(t, 2, second.ID)
	assertRetired(t, e, b, second.ID)
	if got, _ := e.ledger.Consent(ctx, third.ID); got.Status != ConsentAuthorized {
		t.Fatalf("the newest renewal is %s, want Authorized", got.Status)
	}
	if second.BaseConsentID != first.ID || second.RenewedFrom != first.ID {
		t.Errorf("first renewal: base %q from %q; want both %q", second.BaseConsentID, second.RenewedFrom, first.ID)
	}
	if third.BaseConsentID != first.ID || third.RenewedFrom != second.ID {
		t.Errorf("second renewal: base %q from %q; want the root %q, from %q", third.BaseConsentID, third.RenewedFrom, first.ID, second.ID)
	}
	// The bank links the renewal to the root too.
	bc, err := e.client.GetConsent(ctx, third.ID)
	if err != nil || bc.BaseConsentID != first.ID {
		t.Errorf("bank BaseConsentId = %q, %v", bc.BaseConsentID, err)
	}
	payees, _ := e.ledger.Payees(ctx, third.ID)
	if len(payees) != 2 {
		t.Errorf("renewed consent has %d payees, want 2", len(payees))
	}
	// History of the old consent is kept and the limits still count it.
	if _, err := e.pay(t, "5", nil); err != nil {
		t.Fatal(err)
	}
	page, err := e.ledger.History(ctx, HistoryQuery{})
	if err != nil || len(page.Rows) != 2 || page.Rows[1].ConsentID != first.ID || page.Rows[0].ConsentID != third.ID {
		t.Errorf("history = %+v, %v", page.Rows, err)
	}
	h, err := e.ledger.Headroom(ctx, third.ID, e.wallet.cfg.Limits)
	if err != nil || h.Day.String() != "985.00" {
		t.Errorf("day headroom = %s, %v; want 985.00", h.Day, err)
	}
}

func TestExpiresSoonAndUsable(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	c := Consent{Status: ConsentAuthorized, Expires: now.Add(31 * 24 * time.Hour)}
	if ExpiresSoon(c, now) {
		t.Error("31 days out flagged")
	}
	c.Expires = now.Add(30 * 24 * time.Hour)
	if !ExpiresSoon(c, now) {
		t.Error("30 days out not flagged")
	}
	if err := Usable(c, now); err != nil {
		t.Errorf("usable consent: %v", err)
	}
	if err := Usable(c, c.Expires); !errors.Is(err, ErrConsentUnusable) {
		t.Errorf("at expiry: %v", err)
	}
	for _, s := range []ConsentStatus{ConsentRevoked, ConsentExpired, ConsentRejected, ConsentConsumed, ConsentSuspended, ConsentAwaitingAuthorization, "Weird"} {
		if err := Usable(Consent{Status: s}, now); !errors.Is(err, ErrConsentUnusable) {
			t.Errorf("status %s usable", s)
		}
	}
}

// assertRetired: a consent a renewal replaced is Revoked with RevokedBy "TPP" at the bank and in
// the ledger, and its refresh token is gone.
func assertRetired(t *testing.T, e *walletEnv, b *bankEnv, id string) {
	t.Helper()
	if st, err := b.bank.ConsentStatus(id); err != nil || st != "Revoked" {
		t.Fatalf("bank status of the replaced consent = %q, %v", st, err)
	}
	bc, err := e.client.GetConsent(context.Background(), id)
	if err != nil || bc.RevokedBy != "TPP" {
		t.Fatalf("bank RevokedBy of the replaced consent = %q, %v", bc.RevokedBy, err)
	}
	got, err := e.ledger.Consent(context.Background(), id)
	if err != nil || got.Status != ConsentRevoked || got.RevokedBy != "TPP" {
		t.Fatalf("ledger: replaced consent %s by %q, %v", got.Status, got.RevokedBy, err)
	}
	if _, err := e.store.Load(context.Background(), id); !errors.Is(err, consent.ErrNoRefreshToken) {
		t.Fatalf("the replaced consent's refresh token is still stored: %v", err)
	}
}

// TestSandboxRenewalRetiresOldConsentOnceTheBankAnswers: the bank's resource server is down
// when the renewal is recorded, so the replaced consent stays Authorized; the next consent
// sync, with the bank back, revokes it with RevokedBy "TPP".
func TestSandboxRenewalRetiresOldConsentOnceTheBankAnswers(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	ctx := context.Background()
	first := e.onboard(t, 1, "")
	if err := b.bank.InjectFault(sandbox.Fault{Kind: sandbox.FaultServerError, Count: 1000, Target: "rs"}); err != nil {
		t.Fatal(err)
	}
	second := e.onboard(t, 1, first.ID)
	if got, _ := e.ledger.Consent(ctx, first.ID); got.Status != ConsentAuthorized {
		t.Fatalf("with the bank down the replaced consent is %s in the ledger; the bank never heard of it", got.Status)
	}
	if st, _ := b.bank.ConsentStatus(first.ID); st != "Authorized" {
		t.Fatalf("bank status %q", st)
	}
	if err := e.wallet.SyncConsents(ctx); err == nil {
		t.Fatal("a sync with the bank down reported no error")
	}
	b.bank.ClearFaults()
	if err := e.wallet.SyncConsents(ctx); err != nil {
		t.Fatalf("sync with the bank back: %v", err)
	}
	assertRetired(t, e, b, first.ID)
	if got, _ := e.ledger.Consent(ctx, second.ID); got.Status != ConsentAuthorized {
		t.Fatalf("the renewal is %s", got.Status)
	}
	if p, err := e.pay(t, "5", nil); err != nil || p.ConsentID != second.ID || p.Status.Outcome() != OutcomeSuccessful {
		t.Fatalf("payment on the renewal: %v %+v", err, p)
	}
}

func TestSupersededConsents(t *testing.T) {
	c := func(id, from string, st ConsentStatus) Consent { return Consent{ID: id, RenewedFrom: from, Status: st} }
	ids := func(cs []Consent) string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		name string
		all  []Consent
		open []Payment
		want string
	}{
		{"no renewal", []Consent{c("a", "", ConsentAuthorized)}, nil, ""},
		{"renewal authorised", []Consent{c("b", "a", ConsentAuthorized), c("a", "", ConsentAuthorized)}, nil, "a"},
		{"renewal not authorised yet", []Consent{c("b", "a", ConsentAwaitingAuthorization), c("a", "", ConsentAuthorized)}, nil, ""},
		{"renewal suspended keeps nothing alive twice", []Consent{c("b", "a", ConsentSuspended), c("a", "", ConsentAuthorized)}, nil, ""},
		{"chain: every ancestor", []Consent{c("c", "b", ConsentAuthorized), c("b", "a", ConsentSuspended), c("a", "", ConsentAuthorized)}, nil, "b,a"},
		{"already ended", []Consent{c("b", "a", ConsentAuthorized), c("a", "", ConsentExpired)}, nil, ""},
		{"open payment waits", []Consent{c("b", "a", ConsentAuthorized), c("a", "", ConsentAuthorized)}, []Payment{{ConsentID: "a"}}, ""},
		{"open payment elsewhere", []Consent{c("b", "a", ConsentAuthorized), c("a", "", ConsentAuthorized)}, []Payment{{ConsentID: "b"}}, "a"},
		{"cycle in a corrupt ledger", []Consent{c("a", "b", ConsentAuthorized), c("b", "a", ConsentAuthorized)}, nil, "a,b"},
	} {
		if got := ids(supersededConsents(tc.all, tc.open)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
