package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/internal/safetext"
)

// TestCleanedCopiesAndKeepsCleanValues: cleaning returns a copy (the core's slices are not
// written), cleans at any depth (pointer, slice, nested struct) and leaves clean values as they
// are, unexported fields included.
func TestCleanedCopiesAndKeepsCleanValues(t *testing.T) {
	rows := []PaymentRow{{ID: "1", PayeeName: "Noor \u202e00.125", Amount: amt(1250), Status: PaymentStatus("Pend\u009bing")}, {ID: "2", PayeeName: "Clean"}}
	active := &Consent{ID: "c\x1b]2;T\x07", Creditors: []Payee{{Name: "A\u0085"}}, Expires: fakeBase}
	in := Overview{Active: active, Recent: rows, SecretStore: "keyring"}
	out := cleaned(in)
	if rows[0].PayeeName != "Noor \u202e00.125" || active.ID != "c\x1b]2;T\x07" || active.Creditors[0].Name != "A\u0085" {
		t.Fatal("cleaned wrote through to the core's values")
	}
	if out.Recent[0].PayeeName != "Noor \uFFFD00.125" || out.Recent[0].Status != "Pend\uFFFDing" || out.Active.ID != "c\uFFFD]2;T\uFFFD" ||
		out.Active.Creditors[0].Name != "A\uFFFD" {
		t.Fatalf("not cleaned: %+v %+v", out.Recent[0], *out.Active)
	}
	if out.Recent[0].Amount != amt(1250) || !out.Active.Expires.Equal(fakeBase) || out.Recent[1].PayeeName != "Clean" || out.SecretStore != "keyring" {
		t.Fatalf("clean values changed: %+v", out)
	}
	same := Overview{Recent: []PaymentRow{{ID: "1", PayeeName: "Clean"}}}
	if got := cleaned(same); &got.Recent[0] != &same.Recent[0] {
		t.Error("a clean value was copied (it can be returned as it is)")
	}
	m := cleaned(map[string]string{"k\x1b": "v\u009b"})
	if m["k\uFFFD"] != "v\uFFFD" {
		t.Errorf("map = %q", m)
	}
	var nilPtr *Consent
	if cleaned(nilPtr) != nil {
		t.Error("nil pointer")
	}
}

func benchHistoryPage(n int) HistoryPage {
	p := HistoryPage{Total: n}
	for i := range n {
		p.Rows = append(p.Rows, PaymentRow{ID: fmt.Sprint(i), PaymentID: fmt.Sprintf("PAY-%07d", i), At: fakeBase.Add(-time.Duration(i) * time.Minute),
			PayeeName: "Test Payee " + strings.Repeat("x", i%20), Amount: amt(int64(100 + i)), Status: PaymentAcceptedCreditSettlementCompleted, Reference: "Invoice"})
	}
	return p
}

// BenchmarkCleanedHistoryPage is what the boundary costs on a page of 200 clean rows (the core's
// usual answer), by reflection; BenchmarkCleanHistoryPageByHand is the least any cleaning must do:
// check every string of every row. Compare the two in one run:
//
//	go test ./ui/ -run '^$' -bench 'HistoryPage' -benchmem
func BenchmarkCleanedHistoryPage(b *testing.B) {
	p := benchHistoryPage(200)
	b.ReportAllocs()
	for b.Loop() {
		_ = cleaned(p)
	}
}

func BenchmarkCleanHistoryPageByHand(b *testing.B) {
	p := benchHistoryPage(200)
	b.ReportAllocs()
	for b.Loop() {
		ok := true
		for _, r := range p.Rows {
			ok = ok && safetext.Clean(r.ID) && safetext.Clean(r.PaymentID) && safetext.Clean(r.PayeeName) &&
				safetext.Clean(string(r.Status)) && safetext.Clean(r.Reference)
		}
		if !ok {
			b.Fatal("dirty")
		}
	}
}
