package wallet

import (
	"context"
	"slices"
	"testing"
	"time"
)

// BenchmarkHistorySearch is a payee-name search as the History screen runs it (the newest
// page of matches and their count and totals, wallet.History + HistoryTotals) on a ledger of
// 100,000 payments with 3,000-byte signed requests. Each iteration also runs the baseline, the
// newest page without a filter (a primary-key range read), and the benchmark reports both
// times and their ratio from the same run, so the ratio holds on any machine:
//
//	go test -run '^$' -bench 'HistorySearch' -benchtime=100x ./wallet
//
// Schema7 is the search before the index (LIKE over every row, request bytes in the rows),
// run on the ledger before migration 8; the others run after it, which the benchmark times
// once (migrate-ms). Name matches 100 payments, Broad three in four, Short (two letters,
// below the trigram index: the LIKE over the distinct names) 1,700, None nothing; NoFilter is
// the History screen opening (newest page and the totals of the whole ledger).
func BenchmarkHistorySearch(b *testing.B) {
	ctx := context.Background()
	const n = 100_000
	l, _, _ := seedLedgerV7(b, n)
	newestPage := func(b *testing.B) {
		if page, err := l.History(ctx, HistoryQuery{Limit: 50}); err != nil || len(page.Rows) != 50 {
			b.Fatal(err)
		}
	}
	run := func(b *testing.B, search func(b *testing.B)) {
		var page, srch time.Duration
		for b.Loop() {
			t0 := time.Now()
			newestPage(b)
			t1 := time.Now()
			search(b)
			page += t1.Sub(t0)
			srch += time.Since(t1)
		}
		b.ReportMetric(float64(srch.Microseconds())/1000/float64(b.N), "search-ms")
		b.ReportMetric(float64(page.Microseconds())/1000/float64(b.N), "page-ms")
		b.ReportMetric(float64(srch)/float64(page), "search/page")
	}
	b.Run("Schema7/Name", func(b *testing.B) {
		run(b, func(b *testing.B) { schema7Search(b, l, "merchant 0421", 100) })
	})
	t0 := time.Now()
	if err := l.migrate(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := l.db.ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	migrated := time.Since(t0)
	for _, c := range []struct {
		name, query string
		want        int
	}{
		{"Name", "merchant 0421", 100},
		{"Broad", "MERCHANT", n * 3 / 4},
		{"Short", "42", -1},
		{"None", "Zebra", 0},
		{"NoFilter", "", n}, // the History screen opening: newest page and the whole ledger's totals
	} {
		b.Run(c.name, func(b *testing.B) {
			run(b, func(b *testing.B) {
				f := HistoryFilter{PayeeName: c.query}
				page, err := l.History(ctx, HistoryQuery{Filter: f, Limit: 50})
				if err != nil {
					b.Fatal(err)
				}
				totals, err := l.HistoryTotals(ctx, f)
				if err != nil {
					b.Fatal(err)
				}
				count := 0
				for _, t := range totals {
					count += t.Count
				}
				if (c.want >= 0 && count != c.want) || len(page.Rows) != min(count, 50) {
					b.Fatalf("%q: %d rows on the page, %d counted; want %d", c.query, len(page.Rows), count, c.want)
				}
			})
			b.ReportMetric(float64(migrated.Milliseconds()), "migrate-ms")
		})
	}
}

// schema7Search is the search as it ran before migration 8 (the LIKE on every row), kept
// here as the "before" of BenchmarkHistorySearch.
func schema7Search(b *testing.B, l *Ledger, name string, want int) {
	ctx := context.Background()
	like := "%" + escapeLike(name) + "%"
	rows, err := l.db.QueryContext(ctx, `SELECT id, COALESCE(bank_payment_id, ''), consent_id, COALESCE(payee_id, 0), payee_name, payee_iban,
		amount_minor, currency, purpose_code, reference, status, bank_status, reject_code, reject_message, created_ms, updated_ms
		FROM payments WHERE payee_name LIKE ? ESCAPE '\' ORDER BY id DESC LIMIT 51`, like)
	if err != nil {
		b.Fatal(err)
	}
	got := 0
	for rows.Next() {
		got++
	}
	rows.Close()
	var count, sum, paid int64
	var currency string
	if err := l.db.QueryRowContext(ctx, `SELECT currency, COUNT(*), COALESCE(SUM(amount_minor), 0),
		COALESCE(SUM(CASE WHEN outcome = 'successful' THEN amount_minor ELSE 0 END), 0)
		FROM payments WHERE payee_name LIKE ? ESCAPE '\' GROUP BY currency ORDER BY currency`, like).Scan(&currency, &count, &sum, &paid); err != nil {
		b.Fatal(err)
	}
	if count != int64(want) || got != min(want+1, 51) {
		b.Fatalf("schema 7 search %q: %d on the page, %d counted, want %d", name, got, count, want)
	}
}

// BenchmarkUpgradeFromV7 is the first start after an upgrade from schema 7 on a ledger of
// 100,000 payments with 3,000-byte signed requests: the migrations OpenLedger runs (8 moves every
// request to payment_requests and drops the column, builds the name index and totals; 9 the
// paid totals), reported as upgrade-s. Each iteration seeds two fresh ledgers outside the timer
// (checkpointed, as the older payterm leaves its ledger when it closes) and upgrades one as
// OpenLedger does (in rollback-journal mode, migrations.go's upgradeJournal) and the other in
// WAL mode as before, in alternating order; x-wal is the median of the per-iteration ratios.
//
//	go test -run '^$' -bench UpgradeFromV7 -benchtime=2x -timeout 30m ./wallet
func BenchmarkUpgradeFromV7(b *testing.B) {
	ctx := context.Background()
	upgrade := func(inWAL bool) time.Duration {
		b.StopTimer()
		defer b.StartTimer()
		l, _, _ := seedLedgerV7(b, 100_000)
		if _, err := l.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			b.Fatal(err)
		}
		l.keepWALForUpgrade = inWAL
		b.StartTimer()
		t0 := time.Now()
		if err := l.migrate(ctx); err != nil {
			b.Fatal(err)
		}
		took := time.Since(t0)
		b.StopTimer()
		want := "delete"
		if inWAL {
			want = "" // upgradeJournal not called
		}
		var mode string
		if err := l.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" || l.upgradedIn != want {
			b.Fatalf("upgraded in %q (want %q), then in %q mode (%v), want wal", l.upgradedIn, want, mode, err)
		}
		l.Close()
		return took
	}
	var took, tookWAL time.Duration
	ratios := make([]float64, 0, b.N)
	for i := range b.N {
		var d, w time.Duration
		if i%2 == 0 {
			d, w = upgrade(false), upgrade(true)
		} else {
			w, d = upgrade(true), upgrade(false)
		}
		took += d
		tookWAL += w
		ratios = append(ratios, float64(d)/float64(w))
	}
	slices.Sort(ratios)
	b.ReportMetric(took.Seconds()/float64(b.N), "upgrade-s")
	b.ReportMetric(tookWAL.Seconds()/float64(b.N), "upgrade-wal-s")
	b.ReportMetric(ratios[len(ratios)/2], "x-wal")
}
