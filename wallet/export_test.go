package wallet

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// exportFixture records three payments with a formula-looking payee name.
func exportFixture(t *testing.T) *Ledger {
	t.Helper()
	ctx := context.Background()
	l, clock, _ := newTestLedger(t)
	c := testConsent("c1")
	c.DebtorAccount = "AE120260001234567890123"
	if err := l.InsertConsent(ctx, c); err != nil {
		t.Fatal(err)
	}
	for i, amount := range []string{"10.00", "2500.50", "0.99"} {
		clock.Advance(time.Minute)
		p := testPayment("c1", amount)
		p.PayeeName, p.Reference = "=HYPERLINK(\"x\")", "rent march"
		if err := l.ReservePayment(ctx, p, Limits{}); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			if err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: PaymentRejected, RejectCode: "AANI.AM04", RejectMessage: "Insufficient funds"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return l
}

func TestExportCSVWithoutPII(t *testing.T) {
	l := exportFixture(t)
	var buf bytes.Buffer
	if err := l.ExportHistory(context.Background(), &buf, "csv", ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || strings.Join(rows[0], ",") != strings.Join(csvHeader, ",") {
		t.Fatalf("csv = %v", rows)
	}
	// Newest first; amounts as exact strings; PII columns empty.
	if rows[1][5] != "0.99" || rows[2][5] != "2500.50" || rows[2][8] != "Rejected" || rows[2][9] != "failed" || rows[2][10] != "AANI.AM04" {
		t.Errorf("rows = %v", rows[1:])
	}
	for _, r := range rows[1:] {
		if r[11] != "" || r[12] != "" || r[13] != "" {
			t.Errorf("PII in an export without PII: %v", r)
		}
		if r[14] != testBankID {
			t.Errorf("bank column = %q, want the consent's bank %q", r[14], testBankID)
		}
	}
	for _, secret := range []string{"AE070331234567890123456", "header.payload.signature", "key-", "HYPERLINK", "rent"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("export contains %q", secret)
		}
	}
}

func TestExportCSVWithPIIDefusesFormulas(t *testing.T) {
	l := exportFixture(t)
	var buf bytes.Buffer
	if err := l.ExportHistory(context.Background(), &buf, "csv", ExportOptions{IncludePII: true}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[1][11] != `'=HYPERLINK("x")` || rows[1][12] != "AE070331234567890123456" || rows[1][13] != "rent march" {
		t.Errorf("PII row = %v", rows[1])
	}
}

func TestExportJSONAndFilter(t *testing.T) {
	l := exportFixture(t)
	var buf bytes.Buffer
	if err := l.ExportHistory(context.Background(), &buf, "json", ExportOptions{Filter: HistoryFilter{Outcome: OutcomePending}}); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rows); err != nil {
		t.Fatalf("json: %v\n%s", err, buf.String())
	}
	if len(rows) != 2 || rows[0]["amount"] != "0.99" || rows[1]["amount"] != "10.00" || rows[0]["currency"] != "AED" {
		t.Fatalf("rows = %v", rows)
	}
	for _, key := range []string{"payee_name", "payee_iban", "reference"} {
		if _, ok := rows[0][key]; ok {
			t.Errorf("key %s present without PII", key)
		}
	}
	// An empty history is an empty array, not null.
	empty, _, _ := newTestLedger(t)
	buf.Reset()
	if err := empty.ExportHistory(context.Background(), &buf, "json", ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(buf.Bytes(), &rows); err != nil || len(rows) != 0 {
		t.Errorf("empty export = %q, %v", buf.String(), err)
	}
	if err := l.ExportHistory(context.Background(), &buf, "xml", ExportOptions{}); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestExportPagesThroughLargeHistories(t *testing.T) {
	ctx := context.Background()
	l, _, _ := newTestLedger(t)
	if err := l.InsertConsent(ctx, testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	const n = maxPageSize + 7
	for range n {
		if err := l.ReservePayment(ctx, testPayment("c1", "1.00"), Limits{}); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := l.ExportHistory(ctx, &buf, "csv", ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(buf.String(), "\n"); lines != n+1 {
		t.Errorf("export has %d lines, want %d", lines, n+1)
	}
}

func TestStatusJSON(t *testing.T) {
	l := exportFixture(t)
	var buf bytes.Buffer
	lim := Limits{PerDayCount: 20}
	if err := l.WriteStatusJSON(context.Background(), &buf, StatusOptions{Defaults: lim}); err != nil {
		t.Fatal(err)
	}
	var rep StatusReport
	if err := json.Unmarshal(buf.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.SchemaVersion != 1 || len(rep.Consents) != 1 || rep.OpenPayments != 2 || rep.Limits.PerDayCount != 20 || rep.Limits.PerDay != "" {
		t.Errorf("report = %+v", rep)
	}
	c := rep.Consents[0]
	// Nothing is paid yet: the bank has accepted none (10.99 counts against the limits).
	if c.PaymentCount != 0 || c.TotalPaid != "0.00" || c.OtherPaid != nil ||
		!c.Usable || c.CreditorCount != 2 || c.Creditors != nil || c.DebtorAccount != "" {
		t.Errorf("consent report = %+v", c)
	}
	if rep.Used.Day != "10.99" || rep.Used.DayCount != 2 {
		t.Errorf("usage = %+v", rep.Used)
	}
	// A consent at a bank that is not configured is reported unusable, with the reason.
	for banks, usable := range map[string]bool{testBankID: true, "other": false} {
		rep, err := l.Status(context.Background(), StatusOptions{Defaults: lim, Banks: []string{banks}})
		if err != nil {
			t.Fatal(err)
		}
		if c := rep.Consents[0]; c.Usable != usable || (!usable && !strings.Contains(c.UnusableReason, "not in the config")) {
			t.Errorf("configured banks %q: usable %v, reason %q", banks, c.Usable, c.UnusableReason)
		}
	}
	for _, pii := range []string{"AE07", "AE12", "Alice"} {
		if strings.Contains(buf.String(), pii) {
			t.Errorf("status without PII contains %q", pii)
		}
	}
	buf.Reset()
	if err := l.WriteStatusJSON(context.Background(), &buf, StatusOptions{Defaults: lim, IncludePII: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "Alice") || !strings.Contains(buf.String(), "AE120260001234567890123") {
		t.Errorf("status with PII lacks it: %s", buf.String())
	}
}

// TestStatusLinkWithoutAnEndHasNoExpiry: a link with no end date (Berlin Group, Fintecture, an
// OP link whose end is kept with its tokens) has no expires_at in the status report, rather
// than "0001-01-01T00:00:00Z", which a script would read as long expired; a consent with an end
// has it.
func TestStatusLinkWithoutAnEndHasNoExpiry(t *testing.T) {
	l := exportFixture(t)
	ctx := context.Background()
	link := testConsent("link-1")
	link.Expires = time.Time{}
	if err := l.InsertConsent(ctx, link); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := l.WriteStatusJSON(ctx, &buf, StatusOptions{}); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Consents []map[string]any `json:"consents"`
	}
	if err := json.Unmarshal(buf.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, c := range rep.Consents {
		exp, has := c["expires_at"]
		switch c["id"] {
		case "link-1":
			seen++
			if has {
				t.Errorf("the link without an end has expires_at %v", exp)
			}
		case "c1":
			seen++
			if s, _ := exp.(string); !has || strings.HasPrefix(s, "0001") || s == "" {
				t.Errorf("the consent with an end has expires_at %v (present %v)", exp, has)
			}
		}
	}
	if seen != 2 {
		t.Fatalf("status lists %d of the two consents: %s", seen, buf.String())
	}
	if strings.Contains(buf.String(), "0001-01-01") {
		t.Errorf("the report carries a zero time: %s", buf.String())
	}
}

// TestExportFieldNamesAreStable pins the names scripts rely on; renaming one is a breaking change.
func TestExportFieldNamesAreStable(t *testing.T) {
	want := "id,created_at,updated_at,consent_id,bank_payment_id,amount,currency,purpose_code,status,outcome,reject_code,payee_name,payee_iban,reference,bank,normalised_status,provider"
	if got := strings.Join(csvHeader, ","); got != want {
		t.Errorf("history columns changed:\n got %s\nwant %s", got, want)
	}
	raw, err := json.Marshal(StatusReport{Consents: []ConsentReport{{}}, RecentPayments: []ExportRow{{}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"schema_version"`, `"onboarded"`, `"consents"`, `"limits"`, `"recent_payments"`,
		`"used_today_and_month"`, `"open_payments"`, `"beneficiary_model"`, `"total_paid"`, `"payment_count"`, `"usable"`,
		`"per_payment"`, `"outcome"`, `"bank_payment_id"`, `"bank"`, `"normalised_status"`,
		`"provider"`, `"currency"`, `"banks"`} {
		if !strings.Contains(string(raw), k) {
			t.Errorf("status JSON lost %s", k)
		}
	}
}

// TestProviderInStatusAndExport: the status report lists the configured banks with their
// provider and currency, and names the provider of each consent and payment from them; the
// history export carries it as a last column (CSV) and a "provider" key (JSON). A bank that
// left the config has provider "".
func TestProviderInStatusAndExport(t *testing.T) {
	l := exportFixture(t)
	ctx := context.Background()
	banks := []BankReport{{ID: testBankID, Provider: "uae", Currency: "AED"}, {ID: "fin", Provider: "fintecture", Currency: "EUR"}}
	rep, err := l.Status(ctx, StatusOptions{BankReports: banks})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Banks) != 2 || rep.Banks[1] != banks[1] {
		t.Errorf("banks = %+v", rep.Banks)
	}
	if c := rep.Consents[0]; c.Provider != "uae" || c.Currency != "AED" {
		t.Errorf("consent provider %q currency %q", c.Provider, c.Currency)
	}
	for _, p := range rep.RecentPayments {
		if p.Provider != "uae" || p.Currency != "AED" {
			t.Errorf("payment %d: provider %q currency %q", p.ID, p.Provider, p.Currency)
		}
	}
	if rep, err := l.Status(ctx, StatusOptions{}); err != nil || rep.Banks == nil || rep.Consents[0].Provider != "" {
		t.Errorf("without banks: %+v %v", rep, err)
	}
	var buf bytes.Buffer
	if err := l.ExportHistory(ctx, &buf, "csv", ExportOptions{Providers: map[string]string{testBankID: "uae"}}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("%v %d rows", err, len(rows))
	}
	for _, r := range rows[1:] {
		if r[len(r)-1] != "uae" || r[6] != "AED" {
			t.Errorf("row %v: provider/currency", r)
		}
	}
	buf.Reset()
	if err := l.ExportHistory(ctx, &buf, "json", ExportOptions{Providers: map[string]string{"other": "fintecture"}}); err != nil {
		t.Fatal(err)
	}
	var js []ExportRow
	if err := json.Unmarshal(buf.Bytes(), &js); err != nil || len(js) != 3 || js[0].Provider != "" || !strings.Contains(buf.String(), `"provider": ""`) && !strings.Contains(buf.String(), `"provider":""`) {
		t.Errorf("a bank not configured: %v %s", err, buf.String())
	}
}

// TestStatusPaidIsWhatTheBankAccepted: status --json says paid what the consent's screens say
// paid (the payments the bank accepted, in the consent's currency, the others apart), not what
// the limits reserve (a payment still awaiting the bank counted as paid before).
func TestStatusPaidIsWhatTheBankAccepted(t *testing.T) {
	ctx := context.Background()
	l, _, _ := newTestLedger(t)
	if err := l.InsertConsent(ctx, testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	reserve := func(amount, currency string) *Payment {
		p := testPayment("c1", amount)
		p.Currency = currency
		if err := l.ReservePayment(ctx, p, Limits{}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	settle := func(p *Payment) {
		for _, st := range []PaymentStatus{PaymentSending, PaymentSettled} {
			if err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: st, BankPaymentID: "b-" + p.IdempotencyKey}); err != nil {
				t.Fatal(err)
			}
		}
	}
	settle(reserve("50.00", "AED"))
	reserve("7.00", "AED") // awaiting the bank
	settle(reserve("12.50", "EUR"))
	rep, err := l.Status(ctx, StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Consents[0]
	want := []PaidReport{{Currency: "EUR", TotalPaid: "12.50", PaymentCount: 1}}
	if c.TotalPaid != "50.00" || c.PaymentCount != 2 || !reflect.DeepEqual(c.OtherPaid, want) {
		t.Fatalf("consent report = %+v", c)
	}
}
