package app

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/wallet"
)

// TestParseHistoryFlags: each flag lands in the core's filter as documented (local days, --to
// taking in its whole day, RFC 3339 instants as given), and every bad value is refused with a
// sentence naming the flag and what to type.
func TestParseHistoryFlags(t *testing.T) {
	dubai := time.FixedZone("GST", 4*3600)
	f, err := ParseHistoryFlags(HistoryFlags{From: "2026-03-01", To: "2026-03-31", Status: "Failed",
		Payee: " trading ", Consent: "c0ffee00-0000-4000-8000-000000000001"}, dubai)
	if err != nil {
		t.Fatal(err)
	}
	want := wallet.HistoryFilter{From: time.Date(2026, 3, 1, 0, 0, 0, 0, dubai), To: time.Date(2026, 4, 1, 0, 0, 0, 0, dubai),
		Outcome: wallet.OutcomeFailed, PayeeName: "trading", ConsentID: "c0ffee00-0000-4000-8000-000000000001"}
	if !f.From.Equal(want.From) || !f.To.Equal(want.To) || f.Outcome != want.Outcome || f.PayeeName != want.PayeeName || f.ConsentID != want.ConsentID {
		t.Fatalf("filter = %+v, want %+v", f, want)
	}
	f, err = ParseHistoryFlags(HistoryFlags{From: "2026-03-01T09:30:00Z", To: "2026-03-01T14:00:00+04:00"}, dubai)
	if err != nil || !f.From.Equal(time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)) || !f.To.Equal(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("RFC 3339 bounds (--to exclusive, not widened to a day): %+v, %v", f, err)
	}
	if f, err := ParseHistoryFlags(HistoryFlags{}, dubai); err != nil || f != (wallet.HistoryFilter{}) {
		t.Fatalf("no flags: %+v, %v", f, err)
	}
	for _, tc := range []struct {
		flags HistoryFlags
		want  string
	}{
		{HistoryFlags{From: "01/03/2026"}, `--from "01/03/2026" is not a date: use a day such as 2026-03-01`},
		{HistoryFlags{To: "2026-02-30"}, `--to "2026-02-30" is not a date`},
		{HistoryFlags{From: "2026-03-02", To: "2026-03-01"}, "--from 2026-03-02 is not before --to 2026-03-01"},
		{HistoryFlags{Status: "settled"}, `--status "settled" is not one payterm knows: use successful, pending or failed`},
		{HistoryFlags{Payee: "   "}, "--payee is empty"},
		{HistoryFlags{Payee: "Test\x1b]2;x\x07"}, "--payee contains a control character"},
		{HistoryFlags{Payee: "Test\u202eOne"}, "--payee contains a control character"},
		{HistoryFlags{Payee: strings.Repeat("a", 141)}, "--payee is longer than 140 characters"},
		{HistoryFlags{Consent: "c0ffee 01"}, `--consent "c0ffee 01" is not a consent id`},
		{HistoryFlags{Consent: "c\x1b[2J"}, "is not a consent id"},
	} {
		_, err := ParseHistoryFlags(tc.flags, dubai)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.flags, err, tc.want)
		}
		if err != nil && strings.ContainsAny(err.Error(), "\x1b\x07\u202e") {
			t.Errorf("%+v: the refusal carries a control character: %q", tc.flags, err)
		}
	}
}

// TestExportHistoryFiltered: the filter reaches the export: two payments to two payees, then
// by payee, by status, by consent and by day.
func TestExportHistoryFiltered(t *testing.T) {
	ctx := t.Context()
	clock := newSCAClock()
	cfg := testConfig(t)
	a := openApp(t, cfg, clock)
	defer a.Close()
	w := a.UIWallet()
	c, js := onboard(t, w, clock, twoPayees())
	payees, err := w.Payees(ctx, c.ID)
	if err != nil || len(payees) != 2 {
		t.Fatal(err, payees)
	}
	for i, amount := range []string{"42.00", "7.25"} {
		if ev := finalEvent(t, pay(t, w, c.ID, payees[i].ID, amount, clock.nextCode(t, js.totpSecret))); ev.Receipt == nil {
			t.Fatalf("payment %d: %+v", i, ev)
		}
	}
	export := func(hf HistoryFlags) []map[string]any {
		t.Helper()
		f, err := ParseHistoryFlags(hf, time.Local)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := ExportHistoryFiltered(ctx, cfg, &out, "json", true, f); err != nil {
			t.Fatal(err)
		}
		var rows []map[string]any
		if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
			t.Fatalf("%v: %s", err, out.String())
		}
		return rows
	}
	if rows := export(HistoryFlags{}); len(rows) != 2 {
		t.Fatalf("unfiltered: %d rows", len(rows))
	}
	if rows := export(HistoryFlags{Payee: "payee one"}); len(rows) != 1 || rows[0]["amount"] != "42.00" {
		t.Fatalf("--payee: %+v", rows)
	}
	if rows := export(HistoryFlags{Consent: c.ID}); len(rows) != 2 {
		t.Fatalf("--consent of the payments: %d rows", len(rows))
	}
	if rows := export(HistoryFlags{Consent: "c0ffee00-0000-4000-8000-00000000dead"}); len(rows) != 0 {
		t.Fatalf("--consent of another: %d rows", len(rows))
	}
	if rows := export(HistoryFlags{Status: "failed"}); len(rows) != 0 {
		t.Fatalf("--status failed: %+v", rows)
	}
	tomorrow := time.Now().AddDate(0, 0, 1).Format(time.DateOnly)
	if rows := export(HistoryFlags{From: tomorrow}); len(rows) != 0 {
		t.Fatalf("--from tomorrow: %d rows", len(rows))
	}
	if rows := export(HistoryFlags{To: time.Now().Format(time.DateOnly)}); len(rows) != 2 {
		t.Fatalf("--to today (included): %d rows", len(rows))
	}
}
