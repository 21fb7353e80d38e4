package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// crashCopy copies the data dir as a crash would leave it: the files as they are on disk now,
// with no shutdown. Every answered request was fsync'd before its answer.
func crashCopy(t *testing.T, dir string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// stateJSON is the bank's state after a prune at its current time, as JSON without the journal
// generation (a restart folds the journal, so its generation is one ahead).
func stateJSON(t *testing.T, b *Bank) map[string]any {
	t.Helper()
	b.mu.Lock()
	b.pruneLocked()
	snap := b.st.cloneSmall()
	b.mu.Unlock()
	snap.Payments, snap.Idempotency = allPayments(b), allIdem(b) // wherever they are kept
	raw, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "journal_gen")
	delete(m, "archived_idem_newest") // a lookup shortcut a compaction (or the restart's fold) moves
	return m
}

// mergeKeys is the union of two maps' keys.
func mergeKeys(a, b map[string]any) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// assertRestartEquals loads a bank from dir with the live bank's clock and compares its state with want.
func assertRestartEquals(t *testing.T, live *Bank, dir string) *Bank {
	t.Helper()
	offset := time.Duration(live.clockOffset.Load())
	b, err := New(Config{DataDir: dir, Clock: func() time.Time { return live.cfg.Clock().Add(offset) }})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	want, got := stateJSON(t, live), stateJSON(t, b)
	for section := range mergeKeys(want, got) {
		w, _ := want[section].(map[string]any)
		g, _ := got[section].(map[string]any)
		if w == nil || g == nil { // a scalar (balance, version)
			if !reflect.DeepEqual(want[section], got[section]) {
				t.Errorf("after a crash and restart, %s is %v, want %v", section, got[section], want[section])
			}
			continue
		}
		for key := range mergeKeys(w, g) {
			if !reflect.DeepEqual(w[key], g[key]) {
				// Keys are ids and token hashes; the records may hold test PII, so name the field only.
				t.Errorf("after a crash and restart, %s[%.12s…] differs from the live bank's (live %v, restarted %v)%s",
					section, key, w[key] != nil, g[key] != nil, fieldDiff(w[key], g[key]))
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return b
}

// TestCrashKeepsEveryFlowChange: every change the authorization flow makes (PAR, the consent
// page, approve and deny, /token for each grant, code reuse, rotation, consent PATCH, lazy
// expiry) and the payment path is journaled before the answer, so a bank restarted from the
// files a crash leaves has exactly the live bank's state. A compaction in the middle starts a
// new journal generation: a crash before its snapshot replays both journals over the old
// snapshot, a crash after it replays only the new one (the old one's lines are in the
// snapshot and the archive), and a change made while it runs is kept either way.
func TestCrashKeepsEveryFlowChange(t *testing.T) {
	// A frozen clock (now, for the payment's x-fapi-auth-date), so nothing expires unless the
	// test moves it.
	fixed := time.Now().Truncate(time.Second)
	dir := t.TempDir()
	b := newBank(t, func(c *Config) { c.DataDir = dir; c.Clock = func() time.Time { return fixed } })
	c := newTPP(t, b) // registration: a journal line
	pii := consentPII(creditor(testIBAN, "Ivan England"))

	paid := c.authorizedConsent(pii)
	if p := c.pay(paid.access, uuid.NewString(), c.paymentClaims(paid.id, "1.00", paymentPII(c, creditor(testIBAN, "Ivan England")))); p.Status != http.StatusCreated {
		t.Fatalf("payment: %d %s", p.Status, p.Raw)
	}
	revoked := c.authorizedConsent(pii)
	cc := c.clientCredentials()
	if r := c.revoke(cc, revoked.id); r.Status != http.StatusNoContent {
		t.Fatalf("revoke: %d", r.Status)
	}
	// Refresh with rotation, once narrowed.
	rotated := c.authorizedConsent(pii)
	for _, scope := range []string{"payments", ""} {
		kv := []string{"refresh_token", rotated.refresh}
		if scope != "" {
			kv = append(kv, "scope", scope)
		}
		r := c.postForm(c.disc.Token, c.tokenForm("refresh_token", kv...))
		if r.Status != http.StatusOK {
			t.Fatalf("refresh: %d %v", r.Status, r.Body)
		}
		rotated.refresh = r.Body["refresh_token"].(string)
	}

	assertRestartEquals(t, b, crashCopy(t, dir))

	// A compaction in the middle, held before it archives: the suspension made meanwhile goes
	// to the new journal, and a crash then leaves the old state.json (none yet here) with both
	// journals.
	oldJournal, err := os.ReadFile(filepath.Join(dir, journalFile))
	if err != nil || !bytes.Contains(oldJournal, []byte(`"delta"`)) {
		t.Fatalf("the flow journaled no deltas before the compaction: %v", err)
	}
	reached, hold := make(chan struct{}), make(chan struct{})
	b.hooks.compacting = func() { close(reached); <-hold }
	compacted := make(chan error, 1)
	go func() { compacted <- b.compactNow() }()
	<-reached
	if err := b.SuspendConsent(paid.id); err != nil {
		t.Fatal(err)
	}
	midway := crashCopy(t, dir)
	if _, err := os.Stat(filepath.Join(midway, journalPrevFile)); err != nil {
		t.Fatalf("no closed journal while the compaction runs: %v", err)
	}
	assertRestartEquals(t, b, midway)
	close(hold)
	if err := <-compacted; err != nil {
		t.Fatal(err)
	}
	b.hooks.compacting = nil
	// A crash after the snapshot but before the closed journal was removed: its lines are
	// older than the snapshot and not replayed over it.
	torn := crashCopy(t, dir)
	if err := os.WriteFile(filepath.Join(torn, journalPrevFile), oldJournal, 0o600); err != nil {
		t.Fatal(err)
	}
	assertRestartEquals(t, b, torn)

	// After the compaction: code reuse (revokes what the code issued), a PKCE failure (the code
	// is spent anyway), a denied consent, a consent left awaiting and a consent that expires.
	ro := c.requestObject(uuid.NewString(), pii, testVerifier)
	pr := c.par(ro)
	cb := c.approve(pr.Body["request_uri"].(string), "approve", nil)
	exchange := func(verifier string) oauthResp {
		return c.postForm(c.disc.Token, c.tokenForm("authorization_code", "code", cb.Get("code"), "redirect_uri", c.redirect, "code_verifier", verifier))
	}
	if r := exchange(testVerifier); r.Status != http.StatusOK {
		t.Fatalf("code: %d %v", r.Status, r.Body)
	}
	if r := exchange(testVerifier); r.Status != http.StatusBadRequest {
		t.Fatalf("code reuse: %d", r.Status)
	}
	ro2 := c.requestObject(uuid.NewString(), pii, testVerifier)
	cb2 := c.approve(c.par(ro2).Body["request_uri"].(string), "approve", nil)
	if r := c.postForm(c.disc.Token, c.tokenForm("authorization_code", "code", cb2.Get("code"), "redirect_uri", c.redirect, "code_verifier", testVerifier+"x")); r.Status != http.StatusBadRequest {
		t.Fatalf("bad PKCE: %d", r.Status)
	}
	denied := c.requestObject(uuid.NewString(), pii, testVerifier)
	c.approve(c.par(denied).Body["request_uri"].(string), "deny", nil)
	c.par(c.requestObject(uuid.NewString(), pii, testVerifier))                                                         // left awaiting
	c.approve(c.par(c.requestObject(uuid.NewString(), pii, testVerifier)).Body["request_uri"].(string), "approve", nil) // code never exchanged
	shortID := uuid.NewString()
	short := c.requestObject(shortID, pii, testVerifier)
	consentOf(short)["ExpirationDateTime"] = fixed.Add(2 * time.Hour).Format(time.RFC3339)
	sp := c.par(short)
	if sp.Status != http.StatusOK {
		t.Fatalf("PAR of the short consent: %d %v", sp.Status, sp.Body)
	}
	scb := c.approve(sp.Body["request_uri"].(string), "approve", nil)
	if r := c.postForm(c.disc.Token, c.tokenForm("authorization_code", "code", scb.Get("code"), "redirect_uri", c.redirect, "code_verifier", testVerifier)); r.Status != http.StatusOK {
		t.Fatalf("token of the short consent: %d %v", r.Status, r.Body)
	}
	assertRestartEquals(t, b, crashCopy(t, dir)) // before the clock move prunes the spent PARs
	b.AdvanceClock(3 * time.Hour)
	shortCons := shortID
	if st, _ := b.ConsentStatus(shortCons); st != statusExpired {
		t.Fatalf("short consent: %s", st)
	}
	c.clientCredentials() // commits the lazy expiry with its own changes

	dump, err := os.ReadFile(filepath.Join(dir, journalFile))
	if err != nil || bytes.Count(dump, []byte("\n")) < 10 {
		t.Fatalf("the journal holds %d lines after the full save: %v", bytes.Count(dump, []byte("\n")), err)
	}
	restarted := assertRestartEquals(t, b, crashCopy(t, dir))
	// The restart folded the journal into state.json: this run appends to a fresh one.
	if fi, err := os.Stat(filepath.Join(restarted.cfg.DataDir, journalFile)); !os.IsNotExist(err) && (err != nil || fi.Size() != 0) {
		t.Fatalf("journal after the restart: %v, %v", fi, err)
	}
}

// TestCloseFoldsJournal: after a clean stop, state.json alone holds what the flow journaled
// (a reader of the files, like the e2e journeys, sees the issued refresh token there) and the
// journal is empty.
func TestCloseFoldsJournal(t *testing.T) {
	dir := t.TempDir()
	b := newBank(t, func(c *Config) { c.DataDir = dir })
	c := newTPP(t, b)
	cons := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))
	if raw, err := os.ReadFile(filepath.Join(dir, stateFile)); err == nil && bytes.Contains(raw, []byte(cons.id)) {
		t.Fatal("state.json was rewritten by the flow; the benchmark's premise is gone")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if raw, err := os.ReadFile(filepath.Join(dir, journalFile)); err == nil && len(raw) != 0 {
		t.Fatalf("journal after Close: %d bytes", len(raw))
	}
	raw, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		t.Fatal(err)
	}
	var st bankState
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	if c := st.Consents[cons.id]; c == nil || c.Status != statusAuthorized {
		t.Fatalf("state.json after Close: consent %+v", c)
	}
	if rt := st.Refresh[secretKey(cons.refresh)]; rt == nil || rt.Revoked {
		t.Fatalf("state.json after Close lacks the live refresh token: %+v", rt)
	}
}

// fieldDiff names the fields two records differ in (not their values: they may hold test PII).
func fieldDiff(want, got any) string {
	w, _ := want.(map[string]any)
	g, _ := got.(map[string]any)
	var names []string
	for k := range mergeKeys(w, g) {
		if !reflect.DeepEqual(w[k], g[k]) {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return ""
	}
	sort.Strings(names)
	if os.Getenv("SANDBOX_DEBUG_DIFF") != "" {
		for _, n := range names {
			fmt.Println(n, w[n], g[n])
		}
	}
	return "; fields " + strings.Join(names, ", ")
}
