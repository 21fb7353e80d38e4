package wallet

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/money"
)

// searchNames are payee names a search must find as LIKE found them before the index: LIKE
// wildcards, FTS5 syntax, quotes, non-ASCII letters (LIKE folds ASCII only), scripts without
// case, and names shorter than a trigram.
var searchNames = []string{
	"Bob 100%_Co", "ÄBC Müller GmbH", `O'Brien "Quotes" Ltd`, "NEAR OR AND NOT", "a*b^c:d", "مطعم الشارقة",
	"中文名字", "İstanbul Kebap", "ab", "X", "Kelvin \u212a Labs", "dash-and_underscore", "Émile", "émile",
}

// likeScan is the search as it was before migration 8 (a LIKE over every payments row): the
// oracle the index must agree with.
func likeScan(t testing.TB, l *Ledger, q string) []int64 {
	t.Helper()
	rows, err := l.db.QueryContext(context.Background(), `SELECT id FROM payments WHERE payee_name LIKE ? ESCAPE '\' ORDER BY id DESC`,
		"%"+escapeLike(q)+"%")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// searchIDs runs the search the way the History screen does: every page, and the count.
func searchIDs(t testing.TB, l *Ledger, q string) []int64 {
	t.Helper()
	ctx := context.Background()
	f := HistoryFilter{PayeeName: q}
	var ids []int64
	hq := HistoryQuery{Filter: f, Limit: 7}
	for {
		page, err := l.History(ctx, hq)
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		ids = append(ids, rowIDs(page.Rows)...)
		if !page.More {
			break
		}
		hq.After = page.Rows[len(page.Rows)-1].ID
	}
	n, err := l.CountPayments(ctx, f)
	if err != nil {
		t.Fatalf("count %q: %v", q, err)
	}
	totals, err := l.HistoryTotals(ctx, f)
	if err != nil {
		t.Fatalf("totals %q: %v", q, err)
	}
	sum := 0
	for _, c := range totals {
		sum += c.Count
	}
	if n != len(ids) || sum != len(ids) {
		t.Fatalf("search %q: pages hold %d rows, CountPayments says %d, HistoryTotals %d", q, len(ids), n, sum)
	}
	return ids
}

// TestSearchMatchesLikeScan: for every name and every substring of it (1 character and up,
// changed case, quotes), the indexed search returns exactly the rows a LIKE scan returns.
func TestSearchMatchesLikeScan(t *testing.T) {
	ctx := context.Background()
	l, _, _ := newTestLedger(t)
	if err := l.InsertConsent(ctx, testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	for _, name := range searchNames {
		for range 2 {
			p := testPayment("c1", "1.00")
			p.PayeeName = name
			if err := l.ReservePayment(ctx, p, Limits{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	queries := []string{"", `"`, `""`, `" OR "`, "NEAR(", "*", "^", "a:", "100%", "_c", "bob", "BOB 1", "müller", "MÜLLER",
		"äbc", "ÄBC", "brien \"q", "kebap", "İst", "ist", "émile", "ÉMILE", "\u212a", "k l", "\x00", "ab\x00c", "\xff\xfe\xfd", "中文", "名字x"}
	for _, name := range searchNames {
		r := []rune(name)
		for i := range r {
			for j := i + 1; j <= len(r) && j <= i+5; j++ {
				queries = append(queries, string(r[i:j]), strings.ToUpper(string(r[i:j])))
			}
		}
	}
	for _, q := range queries {
		if q == "" {
			continue // no filter at all
		}
		got, want := searchIDs(t, l, q), likeScan(t, l, q)
		if !slices.Equal(got, want) {
			t.Errorf("search %q = %v, LIKE scan = %v", q, got, want)
		}
	}
	// One name found by a three-letter query, one by a two-letter one (the fallback), none by
	// a query no name holds.
	if got := searchIDs(t, l, "üll"); len(got) != 2 {
		t.Errorf("search üll = %v, want the two payments to ÄBC Müller GmbH", got)
	}
	if got := searchIDs(t, l, "Ab"); len(got) != 4 { // "ab" and "Kelvin K Labs", two payments each
		t.Errorf("search Ab = %v, want the four payments to ab and Kelvin K Labs", got)
	}
	if got := searchIDs(t, l, "zzz"); len(got) != 0 {
		t.Errorf("search zzz = %v, want nothing", got)
	}
}

// TestMigration8InPlace builds a schema-7 ledger with payments (signed requests inside the
// rows, names of every kind), opens it with this build, and checks that every payment is
// intact — row, exact request bytes, timeline — and found by a search for its name, that the
// rows history pages read no longer carry the request, and that a payment written after the
// migration is indexed and stored the same way.
func TestMigration8InPlace(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	old := &Ledger{now: time.Now, loc: time.UTC}
	db, err := openDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	old.db = db
	if err := old.migrateTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if err := old.InsertConsent(ctx, testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	type row struct {
		name    string
		request []byte
		status  string
	}
	var want []row
	for i := range 60 {
		name := searchNames[i%len(searchNames)]
		request := bytes.Repeat([]byte{byte(i), 0, 0xff, '\n'}, 700+i) // ~3 KB, NULs and high bytes included
		status, outcome, final := "Settled", "successful", 1
		if i%7 == 0 {
			status, outcome, final = "Prepared", "pending", 0 // in flight: its request must survive exactly
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO payments (consent_id, payee_name, payee_iban, amount_minor, currency,
			purpose_code, idempotency_key, request_bytes, request_exp_ms, status, outcome, reserves, final, created_ms, updated_ms)
			VALUES ('c1', ?, 'AE070331234567890123456', ?, 'AED', 'TOF', ?, ?, 1234, ?, ?, 1, ?, ?, ?)`,
			name, 100+i, fmt.Sprint("k", i), request, status, outcome, final, 1000+i, 1000+i); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO payment_events (payment_id, at_ms, status, note) VALUES (?, 1, ?, 'seeded')`, i+1, status); err != nil {
			t.Fatal(err)
		}
		want = append(want, row{name, request, status})
	}
	db.Close()

	l, err := OpenLedger(ctx, dir, LedgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i, w := range want {
		p, err := l.Payment(ctx, int64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if p.PayeeName != w.name || !bytes.Equal(p.Request, w.request) || string(p.Status) != w.status ||
			p.Amount.Minor() != int64(100+i) || p.IdempotencyKey != fmt.Sprint("k", i) || toMS(p.RequestExp) != 1234 {
			t.Errorf("payment %d after migration: %q %s %d key %s, request intact %v", i+1, p.PayeeName, p.Status,
				p.Amount.Minor(), p.IdempotencyKey, bytes.Equal(p.Request, w.request))
		}
		if tl, err := l.Timeline(ctx, p.ID); err != nil || len(tl) != 1 || tl[0].Note != "seeded" {
			t.Errorf("payment %d timeline %+v, %v", i+1, tl, err)
		}
		if ids := searchIDs(t, l, w.name); !slices.Contains(ids, p.ID) {
			t.Errorf("payment %d to %q not found by its name (got %v)", i+1, w.name, ids)
		}
	}
	open, err := l.OpenPayments(ctx)
	if err != nil || len(open) != 9 {
		t.Fatalf("%d open payments after migration, %v; want the 9 in flight", len(open), err)
	}
	for _, p := range open {
		if !bytes.Equal(p.Request, want[p.ID-1].request) {
			t.Errorf("open payment %d lost its exact request bytes", p.ID)
		}
	}
	for _, name := range searchNames {
		if got, like := searchIDs(t, l, name), likeScan(t, l, name); !slices.Equal(got, like) || len(got) == 0 {
			t.Errorf("search %q = %v, LIKE scan = %v", name, got, like)
		}
	}
	var cols []string
	rows, err := l.db.QueryContext(ctx, `SELECT name FROM pragma_table_info('payments')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	rows.Close()
	if slices.Contains(cols, "request_bytes") {
		t.Errorf("payments still carries request_bytes: %v", cols)
	}

	// Written after the migration: stored apart, indexed under a new name.
	p := testPayment("c1", "5.00")
	p.PayeeName = "Zephyr Newname"
	if err := l.ReservePayment(ctx, p, Limits{}); err != nil {
		t.Fatal(err)
	}
	if got := searchIDs(t, l, "phyr newn"); !slices.Equal(got, []int64{p.ID}) {
		t.Errorf("new payment search = %v, want [%d]", got, p.ID)
	}
	var stored []byte
	if err := l.db.QueryRowContext(ctx, `SELECT request_bytes FROM payment_requests WHERE payment_id = ?`, p.ID).Scan(&stored); err != nil ||
		!bytes.Equal(stored, p.Request) {
		t.Errorf("new payment's request = %q, %v", stored, err)
	}
}

// TestPaymentWithoutRequestIsAnError: a payment whose signed request went missing is reported,
// not left out of OpenPayments (which would silently drop it from the resume at start).
func TestPaymentWithoutRequestIsAnError(t *testing.T) {
	ctx := context.Background()
	l, _, _ := newTestLedger(t)
	if err := l.InsertConsent(ctx, testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	p := testPayment("c1", "1.00")
	if err := l.ReservePayment(ctx, p, Limits{}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.db.ExecContext(ctx, `DELETE FROM payment_requests WHERE payment_id = ?`, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := l.OpenPayments(ctx); err == nil || !strings.Contains(err.Error(), "signed request is missing") {
		t.Errorf("OpenPayments with a request missing: %v", err)
	}
	if _, err := l.Payment(ctx, p.ID); err == nil {
		t.Error("Payment with its request missing was read without an error")
	}
}

// FuzzHistoryPayeeName: whatever is typed in the search box (FTS5 syntax, quotes, NUL, invalid
// UTF-8, LIKE wildcards) and whatever a payee is called, the indexed search never fails and
// returns exactly the rows the LIKE scan returns.
func FuzzHistoryPayeeName(f *testing.F) {
	for _, n := range searchNames {
		f.Add(n, n)
	}
	for _, q := range []string{`"`, `" OR 1 OR "`, "NEAR(a b, 2)", "a AND b", "-x", "col:val", "^abc", "ab*", "{a b}:c", "\x00\x00\x00",
		"\xc3\x28abc", "%%%", "___", `\`, `\%`, "ǅǆǄ", "ß", "ẞ"} {
		f.Add("Plain Name", q)
	}
	l, err := OpenLedger(context.Background(), filepath.Join(f.TempDir(), "data"), LedgerOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { l.Close() })
	if err := l.InsertConsent(context.Background(), testConsent("c1")); err != nil {
		f.Fatal(err)
	}
	var mu sync.Mutex // fuzz workers of one process share the ledger and the set of names
	names := map[string]bool{}
	f.Fuzz(func(t *testing.T, name, query string) {
		mu.Lock()
		defer mu.Unlock()
		if name != "" && !names[name] && len(names) < 500 {
			names[name] = true
			p := testPayment("c1", "1.00")
			p.PayeeName = name
			if err := l.ReservePayment(context.Background(), p, Limits{}); err != nil {
				t.Fatal(err)
			}
		}
		if query == "" {
			return
		}
		if got, want := searchIDs(t, l, query), likeScan(t, l, query); !slices.Equal(got, want) {
			t.Fatalf("search %q = %v, LIKE scan = %v", query, got, want)
		}
	})
}

// TestNameTotalsMatchAFullScan: the per-name totals (payee_name_totals) that HistoryTotals and
// CountPayments add up for a search by name and outcome stay equal to a scan of the payments
// through inserts in two currencies and changes of outcome (rejections, settlements), for every
// name and outcome filter.
func TestNameTotalsMatchAFullScan(t *testing.T) {
	ctx := context.Background()
	l, _, _ := newTestLedger(t)
	if err := l.InsertConsent(ctx, testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	names := []string{"Alpha Traders", "alpha", "Beta GmbH", "ab"}
	for i := range 40 {
		p := testPayment("c1", fmt.Sprintf("%d.%02d", i+1, i))
		p.PayeeName = names[i%len(names)]
		if err := l.ReservePayment(ctx, p, Limits{}); err != nil {
			t.Fatal(err)
		}
		if i%7 == 3 { // another currency, as a European account pays
			if _, err := l.db.ExecContext(ctx, `UPDATE payments SET currency = 'EUR' WHERE id = ?`, p.ID); err != nil {
				t.Fatal(err)
			}
		}
		switch i % 3 {
		case 0:
			if err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: PaymentRejected}); err != nil {
				t.Fatal(err)
			}
		case 1:
			if err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: PaymentProcessing, BankStatus: "ACSP"}); err != nil {
				t.Fatal(err)
			}
			if err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: PaymentSettled, BankStatus: "ACCC"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	scan := func(f HistoryFilter) []CurrencyTotal {
		q := `SELECT currency, COUNT(*), SUM(amount_minor), SUM(CASE WHEN outcome = 'successful' THEN amount_minor ELSE 0 END)
			FROM payments WHERE payee_name LIKE ? ESCAPE '\' AND (? = '' OR outcome = ?) GROUP BY currency ORDER BY currency`
		rows, err := l.db.QueryContext(ctx, q, "%"+escapeLike(f.PayeeName)+"%", string(f.Outcome), string(f.Outcome))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []CurrencyTotal
		for rows.Next() {
			var c CurrencyTotal
			var sum, paid int64
			if err := rows.Scan(&c.Currency, &c.Count, &sum, &paid); err != nil {
				t.Fatal(err)
			}
			c.Sum, _ = money.FromMinor(sum)
			c.Paid, _ = money.FromMinor(paid)
			out = append(out, c)
		}
		return out
	}
	for _, name := range []string{"", "alpha", "ALPHA", "a", "ab", "Beta", "gmbh", "zzz"} {
		for _, o := range []Outcome{"", OutcomePending, OutcomeSuccessful, OutcomeFailed} {
			f := HistoryFilter{PayeeName: name, Outcome: o}
			got, err := l.HistoryTotals(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			want := scan(f)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("totals %q %q = %v, scan = %v", name, o, got, want)
			}
			n, err := l.CountPayments(ctx, f)
			count := 0
			for _, c := range want {
				count += c.Count
			}
			if err != nil || n != count {
				t.Errorf("count %q %q = %d, %v; scan = %d", name, o, n, err, count)
			}
		}
	}
}
