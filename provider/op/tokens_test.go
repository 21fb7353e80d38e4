package op

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/provider"
)

// memKeeper is a TokenKeeper in memory (the app's is the keystore).
type memKeeper struct {
	mu      sync.Mutex
	kept    []byte
	keeps   int
	forgets int
	fail    error
}

func (k *memKeeper) Keep(b []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fail != nil {
		return k.fail
	}
	k.kept, k.keeps = append([]byte(nil), b...), k.keeps+1
	return nil
}

func (k *memKeeper) Forget() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fail != nil {
		return k.fail
	}
	k.kept, k.forgets = nil, k.forgets+1
	return nil
}

// TestJourneyRestartBetweenApprovalAndSubmission: the code is exchanged (the payer's tokens go
// to the keeper), then every API answer is lost, so the submission is never made, and the
// wallet restarts. A new client with the kept tokens restored submits on the next poll — OP's
// page is not needed again — with a fresh access token from the refresh token when OP refuses the
// kept one; paid once. Without the kept tokens the poll can only show OP's page again.
func TestJourneyRestartBetweenApprovalAndSubmission(t *testing.T) {
	for _, c := range []struct {
		name        string
		accessEnded bool // the kept access token has run out: renewed before the submission
		forgotten   bool // nothing restored: the page again, nothing submitted
	}{{name: "kept access token"}, {name: "access token ran out", accessEnded: true}, {name: "nothing kept", forgotten: true}} {
		t.Run(c.name, func(t *testing.T) {
			j := newJourney(t, "")
			keeper := &memKeeper{}
			j.client.cfg.Tokens = keeper
			ctx := context.Background()
			p := j.created("12.50")
			st, act, _ := j.client.Approve(ctx, p, provider.Input{})
			p.State = st
			back := j.browse(act, "approve", nil)
			j.bank.DropNextAnswers(100)
			if _, _, err := j.client.Approve(ctx, p, provider.Input{CallbackURL: back}); err == nil {
				t.Fatal("submitted with every answer lost")
			}
			if keeper.keeps != 1 || len(keeper.kept) == 0 {
				t.Fatalf("the tokens were kept %d times, want once after the code exchange", keeper.keeps)
			}
			j.bank.DropNextAnswers(0)

			if c.accessEnded {
				j.clk.Add(2 * time.Hour)
			}
			restarted, err := New(j.client.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !c.forgotten {
				if err := restarted.RestoreTokens(keeper.kept); err != nil {
					t.Fatal(err)
				}
			}
			st, act, err = restarted.Approve(ctx, p, provider.Input{})
			if c.forgotten {
				if err != nil || act == nil || st.Status == provider.StatusProcessing || j.bank.PaymentDebits(st.BankRef) != 0 {
					t.Fatalf("without the kept tokens: %+v %+v %v", st, act, err)
				}
				return
			}
			if err != nil || act != nil || st.BankStatus != "Accepted" {
				t.Fatalf("after the restart: %+v %+v %v", st, act, err)
			}
			p.State = st
			if st, err = restarted.Status(ctx, p); err != nil || st.Status != provider.StatusExecuted || j.bank.PaymentDebits(st.BankRef) != 1 {
				t.Fatalf("%+v %v", st, err)
			}
			if c.accessEnded && keeper.keeps != 2 {
				t.Fatalf("the renewed token was kept %d times in all, want 2", keeper.keeps)
			}
			// Ending the link forgets them in the keeper too.
			if _, err := restarted.RevokeGrant(ctx, "link", provider.RevokedByUser); err != nil || keeper.kept != nil || keeper.forgets != 1 {
				t.Fatalf("after RevokeGrant: %v, kept %d bytes, %d forgets", err, len(keeper.kept), keeper.forgets)
			}
			if restarted.RefreshExpiry(mustMemo(t, st).AuthorizationID) != (time.Time{}) {
				t.Fatal("the refresh token is still held after RevokeGrant")
			}
		})
	}
}

// A keeper that cannot forget makes RevokeGrant say so: a refresh token left behind would come
// back at the next start.
func TestRevokeGrantReportsAKeeperThatCannotForget(t *testing.T) {
	j := newJourney(t, "")
	j.client.cfg.Tokens = &memKeeper{fail: errors.New("keyring locked")}
	by, err := j.client.RevokeGrant(context.Background(), "link", provider.RevokedByUser)
	if by != string(provider.RevokedByUser) || err == nil || !strings.Contains(err.Error(), "forget") {
		t.Fatalf("%q %v", by, err)
	}
}

func TestRestoreTokensLeavesOutEndedOnes(t *testing.T) {
	j := newJourney(t, "")
	now := j.clk.Now()
	kept := `{"v":1,"tokens":[{"authorizationId":"live","refresh":"r1","refreshExp":"` + now.Add(time.Hour).Format(time.RFC3339) +
		`","accessExp":"0001-01-01T00:00:00Z"},{"authorizationId":"ended","refresh":"r2","refreshExp":"` + now.Add(-time.Second).Format(time.RFC3339) +
		`","accessExp":"0001-01-01T00:00:00Z"}]}`
	if err := j.client.RestoreTokens([]byte(kept)); err != nil {
		t.Fatal(err)
	}
	if j.client.RefreshExpiry("live").IsZero() || !j.client.RefreshExpiry("ended").IsZero() {
		t.Fatal("restored the wrong tokens")
	}
}

func TestParseKeptTokensRefusesDamage(t *testing.T) {
	exp := `"accessExp":"2030-01-01T00:00:00Z","refreshExp":"2030-01-01T00:00:00Z"`
	for name, raw := range map[string]string{
		"empty":             ``,
		"not json":          `tokens`,
		"trailing":          `{"v":1,"tokens":[]} {}`,
		"version":           `{"v":2,"tokens":[]}`,
		"unknown field":     `{"v":1,"tokens":[],"x":1}`,
		"no authorization":  `{"v":1,"tokens":[{"authorizationId":"","access":"a",` + exp + `}]}`,
		"bad authorization": `{"v":1,"tokens":[{"authorizationId":"a/b","access":"a",` + exp + `}]}`,
		"twice":             `{"v":1,"tokens":[{"authorizationId":"a","access":"a",` + exp + `},{"authorizationId":"a","access":"b",` + exp + `}]}`,
		"no token":          `{"v":1,"tokens":[{"authorizationId":"a",` + exp + `}]}`,
		"control":           `{"v":1,"tokens":[{"authorizationId":"a","access":"a\u001b[2J",` + exp + `}]}`,
		"refresh no end":    `{"v":1,"tokens":[{"authorizationId":"a","refresh":"r","accessExp":"2030-01-01T00:00:00Z","refreshExp":"0001-01-01T00:00:00Z"}]}`,
		"bad time":          `{"v":1,"tokens":[{"authorizationId":"a","access":"a","accessExp":"tomorrow"}]}`,
	} {
		if _, err := parseKeptTokens([]byte(raw)); err == nil {
			t.Errorf("%s: accepted %q", name, raw)
		}
	}
	if u, err := parseKeptTokens([]byte(`{"v":1,"tokens":[{"authorizationId":"a","access":"x","refresh":"y",` + exp + `}]}`)); err != nil || u["a"].refresh != "y" {
		t.Fatalf("a good entry: %+v %v", u, err)
	}
}

func FuzzParseKeptTokens(f *testing.F) {
	f.Add([]byte(`{"v":1,"tokens":[{"authorizationId":"a","access":"x","refresh":"y","accessExp":"2030-01-01T00:00:00Z","refreshExp":"2030-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"v":1,"tokens":[]}`))
	f.Add([]byte(`{"v":1,"tokens":[{"authorizationId":"a","refresh":"r"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		users, err := parseKeptTokens(raw)
		if err != nil {
			return
		}
		for id, u := range users {
			if !printableID(id, 256) || (u.access == "" && u.refresh == "") || (u.refresh != "" && u.refreshExp.IsZero()) {
				t.Fatalf("accepted %q: %q %+v", raw, id, u)
			}
		}
	})
}

// TestJourneyExemptionAfterARestart: the bank approval's refresh token, kept and restored,
// lets a restarted wallet pay below 30 EUR through OP's exemption flow without a browser;
// without it the exemption is refused before anything is created.
func TestJourneyExemptionAfterARestart(t *testing.T) {
	j := newJourney(t, "")
	keeper := &memKeeper{}
	j.client.cfg.Tokens = keeper
	ctx := context.Background()
	j.sca()
	memoryOnly := j.client.cfg
	memoryOnly.Tokens = nil
	forgetful, err := New(memoryOnly)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := forgetful.SendExempt(ctx, j.built("5.00"), j.clk.Now()); !errors.Is(err, ErrExemptionRefused) {
		t.Fatalf("a restart without the kept tokens: %v", err)
	}
	restarted, err := New(j.client.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := restarted.RestoreTokens(keeper.kept); err != nil {
		t.Fatal(err)
	}
	p := j.built("12.00")
	st, err := restarted.SendExempt(ctx, p, j.clk.Now().Add(-time.Hour))
	if err != nil || st.BankStatus != "Accepted" || !mustMemo(t, st).Exempt {
		t.Fatalf("%+v %v", st, err)
	}
	p.State = st
	if st, err = restarted.Status(ctx, p); err != nil || st.Status != provider.StatusExecuted || j.bank.PaymentDebits(st.BankRef) != 1 {
		t.Fatalf("%+v %v", st, err)
	}
	j.allPassed()
}
