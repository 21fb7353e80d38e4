package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/payterm/payterm/sandbox/internal/servercert"
)

// TestConsentWithManyPayments: GET /payment-consents of a consent with more than 10,000
// payments stays far below a client's 1 MiB body cap: Links.Related lists the latest
// maxRelatedPayments (oldest first, the newest last), and PaymentConsumption counts every
// payment the bank did not reject. The oldest payment is still served by GET /payments/{id}.
func TestConsentWithManyPayments(t *testing.T) {
	b := newBank(t, func(c *Config) { c.BalanceFils = 1 << 40 })
	c := newTPP(t, b)
	cons := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))
	first := c.pay(cons.access, uuid.NewString(), c.paymentClaims(cons.id, "2.00", paymentPII(c, creditor(testIBAN, "Ivan England"))))
	if first.Status != http.StatusCreated {
		t.Fatalf("payment: %d %s", first.Status, first.errorCode())
	}
	const seeded = 10_500
	if err := b.SeedPayments(cons.id, seeded, 1_00); err != nil {
		t.Fatal(err)
	}
	last := c.pay(cons.access, uuid.NewString(), c.paymentClaims(cons.id, "3.00", paymentPII(c, creditor(testIBAN, "Ivan England"))))
	if last.Status != http.StatusCreated {
		t.Fatalf("payment: %d %s", last.Status, last.errorCode())
	}
	cc := c.clientCredentials()
	gc := c.rs(http.MethodGet, "/payment-consents/"+cons.id, cc, nil, "")
	if gc.Status != http.StatusOK {
		t.Fatalf("consent GET: %d", gc.Status)
	}
	if len(gc.Raw) > 256<<10 {
		t.Fatalf("consent GET body is %d bytes", len(gc.Raw))
	}
	rel, _ := gc.message()["Links"].(map[string]any)["Related"].([]any)
	if len(rel) != maxRelatedPayments || rel[len(rel)-1] != b.paymentURL(last.data()["PaymentId"].(string)) {
		t.Fatalf("Links.Related has %d entries (want %d, newest last)", len(rel), maxRelatedPayments)
	}
	pc := gc.data()["PaymentConsumption"].(map[string]any)
	if pc["CumulativeNumberOfPayments"] != float64(seeded+2) || pc["CumulativeValueOfPayments"].(map[string]any)["Amount"] != "10505.00" {
		t.Fatalf("PaymentConsumption: %v", pc)
	}
	if g := c.rs(http.MethodGet, "/payments/"+first.data()["PaymentId"].(string), cc, nil, ""); g.Status != http.StatusOK {
		t.Fatalf("GET of the first of %d payments: %d", seeded+2, g.Status)
	}
	// The same after a restart (the counters and the list are kept, not recomputed).
	dir := b.cfg.DataDir
	b.Close()
	b2 := newBank(t, func(cfg *Config) { cfg.DataDir = dir })
	b2.mu.Lock()
	rc := *b2.st.Consents[cons.id]
	b2.mu.Unlock()
	if rc.PaymentCount != seeded+2 || rc.PaymentFils != 10505_00 || len(rc.RecentPayments) != maxRelatedPayments {
		t.Fatalf("after a restart: %d payments, %d fils, %d recent", rc.PaymentCount, rc.PaymentFils, len(rc.RecentPayments))
	}
	if st, err := b2.PaymentStatus(first.data()["PaymentId"].(string)); err != nil || st == "" {
		t.Fatalf("status of the first payment after a restart: %q %v", st, err)
	}
}

// TestConcurrentPaymentsShareAnFsync: payments that arrive while an fsync is under way are
// made durable together by the next one, and no request waits on the disk holding the bank
// lock: with the journal's fsync held, a consent GET is answered.
func TestConcurrentPaymentsShareAnFsync(t *testing.T) {
	b := newBank(t, func(c *Config) { c.BalanceFils = 1 << 40 })
	c := newTPP(t, b)
	cons := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))
	cc := c.clientCredentials()
	body := c.sign(c.paymentClaims(cons.id, "1.00", paymentPII(c, creditor(testIBAN, "Ivan England"))))

	b.jw.mu.Lock()
	base := b.jw.appended
	b.jw.mu.Unlock()
	held, release := make(chan struct{}, 1), make(chan struct{})
	var once sync.Once
	b.jw.beforeSync = func() {
		once.Do(func() {
			held <- struct{}{}
			<-release
		})
	}
	const n = 5
	statuses := make(chan int, n)
	post := func() {
		r := c.rs(http.MethodPost, "/payments", cons.access, paymentHeaders(uuid.NewString()), body)
		statuses <- r.Status
	}
	go post()
	<-held // the first payment's fsync is under way
	syncs := b.jw.syncs.Load()
	for range n - 1 {
		go post()
	}
	// Wait until the other payments are journaled (each has appended both its lines).
	for deadline := time.Now().Add(patience); ; time.Sleep(5 * time.Millisecond) {
		b.jw.mu.Lock()
		appended := b.jw.appended
		b.jw.mu.Unlock()
		if appended >= base+n*2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d journal lines appended while an fsync was held", appended-base, n*2)
		}
	}
	if g := c.rs(http.MethodGet, "/payment-consents/"+cons.id, cc, nil, ""); g.Status != http.StatusOK {
		t.Fatalf("consent GET while an fsync is held: %d", g.Status)
	}
	select {
	case st := <-statuses:
		t.Fatalf("a payment was answered (%d) before its journal line was on disk", st)
	default:
	}
	close(release)
	for range n {
		if st := <-statuses; st != http.StatusCreated {
			t.Fatalf("payment: %d", st)
		}
	}
	if got := b.jw.syncs.Load() - syncs; got > 2 {
		t.Fatalf("%d fsyncs for the %d payments that waited together, want at most 2", got, n)
	}
}

// TestCompactionDoesNotStallRequests: while a compaction archives the closed journal (held
// here), payments are made and the payments being archived are read; once it ends they come
// from the archive, state.json holds no payment, and a restart finds everything.
func TestCompactionDoesNotStallRequests(t *testing.T) {
	reached, hold := make(chan struct{}), make(chan struct{})
	var once sync.Once
	b := newBankWithHooks(t, func(c *Config) { c.BalanceFils = 1 << 40 }, testHooks{compacting: func() {
		once.Do(func() {
			close(reached)
			<-hold
		})
	}})
	b.compactBytes = 32 << 10
	c := newTPP(t, b)
	cons := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))
	cc := c.clientCredentials()
	pay := func() string {
		r := c.pay(cons.access, uuid.NewString(), c.paymentClaims(cons.id, "1.00", paymentPII(c, creditor(testIBAN, "Ivan England"))))
		if r.Status != http.StatusCreated {
			t.Fatalf("payment: %d %s", r.Status, r.errorCode())
		}
		return r.data()["PaymentId"].(string)
	}
	var before []string
	for {
		before = append(before, pay())
		select {
		case <-reached:
		default:
			if len(before) > 200 {
				t.Fatal("no compaction after 200 payments")
			}
			continue
		}
		break
	}
	// The compaction is held: requests go on.
	during := []string{pay(), pay()}
	for _, id := range []string{before[0], during[0]} {
		if g := c.rs(http.MethodGet, "/payments/"+id, cc, nil, ""); g.Status != http.StatusOK {
			t.Fatalf("GET of a payment while the compaction runs: %d", g.Status)
		}
	}
	close(hold)
	waitCompactions(t, b, 1)
	b.mu.Lock()
	_, inMemory := b.st.Payments[before[0]]
	b.mu.Unlock()
	if inMemory {
		t.Fatal("an archived payment stayed in memory")
	}
	if g := c.rs(http.MethodGet, "/payments/"+before[0], cc, nil, ""); g.Status != http.StatusOK {
		t.Fatalf("GET of an archived payment: %d", g.Status)
	}
	raw, err := os.ReadFile(filepath.Join(b.cfg.DataDir, stateFile))
	if err != nil {
		t.Fatal(err)
	}
	var snap bankState
	if err := json.Unmarshal(raw, &snap); err != nil || len(snap.Payments) != 0 || len(snap.Idempotency) != 0 || snap.Version != stateVersion {
		t.Fatalf("state.json after a compaction: %d payments, %d idempotency records, version %d (%v)",
			len(snap.Payments), len(snap.Idempotency), snap.Version, err)
	}
	dir := b.cfg.DataDir
	b.Close()
	b2 := newBank(t, func(cfg *Config) { cfg.DataDir = dir })
	for _, id := range append(before, during...) {
		if st, err := b2.PaymentStatus(id); err != nil || st == "" {
			t.Fatalf("after a restart, payment %d of %d: %v", len(before), len(before)+len(during), err)
		}
	}
	if n := countPayments(b2, cons.id); n != len(before)+len(during) {
		t.Fatalf("after a restart the bank holds %d payments, want %d", n, len(before)+len(during))
	}
}

// TestVersion1DataDirMigrates: a data dir of the previous version (every payment in
// state.json, a journal beside it) loads with every payment, the consumption counted once,
// and is rewritten as version 2 with the payments in the archive.
func TestVersion1DataDirMigrates(t *testing.T) {
	dir := t.TempDir()
	b := newBank(t, func(c *Config) { c.DataDir = dir })
	c := newTPP(t, b)
	cons := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	// Write what version 1 kept: consents without counters, payments in state.json, one more
	// payment in the journal of the same generation.
	st, err := loadState(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Now().Add(-time.Hour).UTC()
	v1 := map[string]any{}
	raw, _ := json.Marshal(st)
	json.Unmarshal(raw, &v1)
	v1["version"] = 1
	delete(v1, "next_seq")
	cm := v1["consents"].(map[string]any)[cons.id].(map[string]any)
	delete(cm, "payment_count")
	delete(cm, "payment_fils")
	delete(cm, "recent_payments")
	pay := func(id string, fils int, at time.Time, rejected bool) map[string]any {
		p := map[string]any{"payment_id": id, "consent_id": cons.id, "client_id": c.id, "amount": formatFils(int64(fils)), "currency": "AED",
			"amount_fils": fils, "purpose_code": "TOF", "billing": map[string]string{"Type": "PushP2P"}, "created_at": at, "transaction_id": "t" + id}
		if rejected {
			p["reject"] = map[string]string{"Code": "AANI.AM04", "Message": "Insufficient funds in the debtor account."}
		}
		return p
	}
	v1["payments"] = map[string]any{
		"p-2": pay("p-2", 200, created.Add(time.Minute), false),
		"p-1": pay("p-1", 100, created, false),
		"p-3": pay("p-3", 999, created.Add(2*time.Minute), true),
	}
	raw, _ = json.Marshal(v1)
	if err := os.WriteFile(filepath.Join(dir, stateFile), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	line, _ := json.Marshal(map[string]any{"payment": pay("p-4", 400, created.Add(3*time.Minute), false), "balance_fils": 42, "gen": v1["journal_gen"]})
	if err := os.WriteFile(filepath.Join(dir, journalFile), append(line, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}

	b2 := newBank(t, func(cfg *Config) { cfg.DataDir = dir })
	b2.mu.Lock()
	rc := *b2.st.Consents[cons.id]
	balance := b2.st.BalanceFils
	b2.mu.Unlock()
	if rc.PaymentCount != 3 || rc.PaymentFils != 700 || balance != 42 {
		t.Fatalf("after migration: %d payments, %d fils, balance %d", rc.PaymentCount, rc.PaymentFils, balance)
	}
	if want := []string{"p-1", "p-2", "p-3", "p-4"}; !equalStrings(rc.RecentPayments, want) {
		t.Fatalf("recent payments after migration: %v, want %v", rc.RecentPayments, want)
	}
	all := allPayments(b2)
	if len(all) != 4 || all["p-1"].Seq >= all["p-2"].Seq || all["p-3"].Seq >= all["p-4"].Seq {
		t.Fatalf("migrated payments: %d, numbered in creation order %v", len(all), len(all) == 4)
	}
	raw, _ = os.ReadFile(filepath.Join(dir, stateFile))
	var snap bankState
	if err := json.Unmarshal(raw, &snap); err != nil || snap.Version != stateVersion || len(snap.Payments) != 0 {
		t.Fatalf("state.json after migration: version %d, %d payments (%v)", snap.Version, len(snap.Payments), err)
	}
	if _, err := os.Stat(filepath.Join(dir, journalFile)); !os.IsNotExist(err) {
		t.Fatalf("the version 1 journal was not folded: %v", err)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestKeysAreKeptAcrossStarts: a restart on the same data dir generates no RSA key: the
// server certificate and key are reused (key file 0600), and the wrong-key fault's key is
// made on first use and kept.
func TestKeysAreKeptAcrossStarts(t *testing.T) {
	dir := t.TempDir()
	b := newBank(t, func(c *Config) { c.DataDir = dir })
	leaf := b.serverTLS.Certificate[0]
	if _, err := os.Stat(filepath.Join(dir, wrongSigKeyFile)); !os.IsNotExist(err) {
		t.Fatalf("the wrong-key fault's key was made before any fault: %v", err)
	}
	wrong, err := b.wrongKey()
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	for _, name := range []string{servercert.KeyFile, servercert.CertFile, wrongSigKeyFile, "sig-key.pem", "enc-key.pem", caKeyFile} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", name, fi, err)
		}
	}
	noKeys := failingReader{t}
	b2, err := New(Config{DataDir: dir, Rand: noKeys}) // any key generation would read it
	if err != nil {
		t.Fatalf("restart without randomness: %v", err)
	}
	defer b2.Close()
	if string(b2.serverTLS.Certificate[0]) != string(leaf) {
		t.Fatal("the server certificate was issued again")
	}
	if w2, err := b2.wrongKey(); err != nil || w2.kid != wrong.kid {
		t.Fatalf("the wrong-key fault's key changed: %v", err)
	}
}

// failingReader fails the test when read: a start that reads randomness generates a key.
type failingReader struct{ t *testing.T }

func (f failingReader) Read([]byte) (int, error) {
	f.t.Error("the start read randomness (generated a key)")
	return 0, os.ErrInvalid
}

// TestReplayAfterCrashLostStoredResponse: a 201 is sent once the payment's line (payment,
// balance, idempotency key) is on disk; the stored response follows in the next fsync. After a
// crash that lost it, a retry with the key creates no payment and gets the same claims (same
// PaymentId, same iat) under a new signature, which is stored from then on.
func TestReplayAfterCrashLostStoredResponse(t *testing.T) {
	fixed := time.Now().Truncate(time.Second)
	dir := t.TempDir()
	b := newBank(t, func(c *Config) { c.DataDir = dir; c.Clock = func() time.Time { return fixed } })
	c := newTPP(t, b)
	cons := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))
	key := uuid.NewString()
	body := c.sign(c.paymentClaims(cons.id, "4.00", paymentPII(c, creditor(testIBAN, "Ivan England"))))
	first := c.rs(http.MethodPost, "/payments", cons.access, paymentHeaders(key), body)
	if first.Status != http.StatusCreated {
		t.Fatalf("payment: %d %s", first.Status, first.errorCode())
	}
	c.clientCredentials() // a later commit: every line so far is on disk
	crashed := crashCopy(t, dir)
	// Drop the stored response's line, as a crash before its fsync would.
	raw, err := os.ReadFile(filepath.Join(crashed, journalFile))
	if err != nil {
		t.Fatal(err)
	}
	var kept []byte
	dropped := 0
	for _, line := range bytes.SplitAfter(raw, []byte("\n")) {
		var e journalEntry
		if json.Unmarshal(line, &e) == nil && e.Payment == nil && e.Idem != nil && e.Idem.Body != nil {
			dropped++
			continue
		}
		kept = append(kept, line...)
	}
	if dropped != 1 {
		t.Fatalf("%d stored-response lines in the journal, want 1", dropped)
	}
	if err := os.WriteFile(filepath.Join(crashed, journalFile), kept, 0o600); err != nil {
		t.Fatal(err)
	}
	addrs := []string{hostOf(b.Issuer()), hostOf(c.disc.Authorization), hostOf(c.disc.Token), hostOf(b.ResourceBaseURL())}
	b.Close()
	b2 := newBank(t, func(cfg *Config) {
		cfg.DataDir, cfg.Clock = crashed, func() time.Time { return fixed }
		cfg.IssuerAddr, cfg.AuthorizeAddr, cfg.ASAddr, cfg.ResourceAddr = addrs[0], addrs[1], addrs[2], addrs[3]
	})
	c.bank = b2
	c.discover()
	again := c.rs(http.MethodPost, "/payments", cons.access, paymentHeaders(key), body)
	if again.Status != http.StatusCreated || again.data()["PaymentId"] != first.data()["PaymentId"] {
		t.Fatalf("retry after the crash: %d, same payment %v", again.Status, again.data()["PaymentId"] == first.data()["PaymentId"])
	}
	if jwsPayload(t, string(again.Raw)) != jwsPayload(t, string(first.Raw)) {
		t.Fatal("the re-signed answer's claims differ from the first answer's")
	}
	if n := countPayments(b2, cons.id); n != 1 {
		t.Fatalf("%d payments after the retry, want 1", n)
	}
	third := c.rs(http.MethodPost, "/payments", cons.access, paymentHeaders(key), body)
	if string(third.Raw) != string(again.Raw) {
		t.Fatal("the re-signed answer was not stored: the next replay differs")
	}
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	return u.Host
}

func jwsPayload(t *testing.T, compact string) string {
	t.Helper()
	parts := strings.Split(compact, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %d parts", len(parts))
	}
	return parts[1]
}

// TestIdempotencyAcrossRestart: a key used before a restart (its record now only in the
// archive of an earlier run) replays the stored response byte for byte after it, and the
// lookup by key finds the payment.
func TestIdempotencyAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	b := newBank(t, func(c *Config) { c.DataDir = dir })
	c := newTPP(t, b)
	cons := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))
	key := uuid.NewString()
	body := c.sign(c.paymentClaims(cons.id, "4.00", paymentPII(c, creditor(testIBAN, "Ivan England"))))
	first := c.rs(http.MethodPost, "/payments", cons.access, paymentHeaders(key), body)
	if first.Status != http.StatusCreated {
		t.Fatalf("payment: %d %s", first.Status, first.errorCode())
	}
	addrs := []string{hostOf(b.Issuer()), hostOf(c.disc.Authorization), hostOf(c.disc.Token), hostOf(b.ResourceBaseURL())}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b2 := newBank(t, func(cfg *Config) {
		cfg.DataDir = dir
		cfg.IssuerAddr, cfg.AuthorizeAddr, cfg.ASAddr, cfg.ResourceAddr = addrs[0], addrs[1], addrs[2], addrs[3]
	})
	b2.mu.Lock()
	inMemory := len(b2.st.Idempotency)
	b2.mu.Unlock()
	if inMemory != 0 {
		t.Fatalf("%d idempotency records in memory after a clean restart, want them archived", inMemory)
	}
	c.bank = b2
	c.discover()
	again := c.rs(http.MethodPost, "/payments", cons.access, paymentHeaders(key), body)
	if again.Status != http.StatusCreated || string(again.Raw) != string(first.Raw) {
		t.Fatalf("replay after a restart: %d, same bytes %v", again.Status, string(again.Raw) == string(first.Raw))
	}
	h := http.Header{}
	h.Set("x-idempotency-key", key)
	if g := c.rs(http.MethodGet, "/payments", c.clientCredentials(), h, ""); g.Status != http.StatusOK {
		t.Fatalf("lookup by key after a restart: %d", g.Status)
	}
	if n := countPayments(b2, cons.id); n != 1 {
		t.Fatalf("%d payments, want 1", n)
	}
}

// TestSequentialPaymentsOneFsyncEach: a client paying one payment after another costs one
// fsync per payment (its stored response rides on the next payment's fsync, not a timer's of
// its own), and the last response still reaches the disk with nobody waiting for it.
func TestSequentialPaymentsOneFsyncEach(t *testing.T) {
	b := newBank(t, func(c *Config) { c.BalanceFils = 1 << 40 })
	c := newTPP(t, b)
	cons := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))
	body := c.sign(c.paymentClaims(cons.id, "1.00", paymentPII(c, creditor(testIBAN, "Ivan England"))))
	const n = 30
	syncs, t0 := b.jw.syncs.Load(), time.Now()
	for range n {
		if r := c.rs(http.MethodPost, "/payments", cons.access, paymentHeaders(uuid.NewString()), body); r.Status != http.StatusCreated {
			t.Fatalf("payment: %d", r.Status)
		}
	}
	// A slow run (-race) may see the timer fire once a second meanwhile (flushDelay); nothing
	// else adds an fsync. (At a 10 ms delay this failed: about 1.2 fsyncs a payment.)
	timers := int64(time.Since(t0)/time.Second) + 1
	if got := b.jw.syncs.Load() - syncs; got > n+timers {
		t.Fatalf("%d fsyncs for %d sequential payments, want at most %d", got, n, n+timers)
	}
	for deadline := time.Now().Add(flushDelay + patience); ; time.Sleep(10 * time.Millisecond) {
		b.jw.mu.Lock()
		durable, appended := b.jw.durable, b.jw.appended
		b.jw.mu.Unlock()
		if durable == appended {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the last stored response is still off the disk (%d of %d lines durable)", durable, appended)
		}
	}
}
