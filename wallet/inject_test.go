package wallet

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/internal/hostilebank"
)

// Terminal and spreadsheet injection in exports (issue 11). The ledger may hold text that
// payterm did not write and an older payterm did not check: a bank's PaymentId with a C1 CSI, a
// reject code with OSC 2, payee names with a right-to-left override or a formula behind a tab, a
// space or a full-width equals sign. `payterm history` prints them to a terminal or hands them to
// a spreadsheet.

var hostileNames = map[string]string{ // typed → the CSV cell
	"\t=cmd|' /C calc'!A0":         "' =cmd|' /C calc'!A0",
	" @SUM(1+1)*cmd|' /C calc'!A0": "' @SUM(1+1)*cmd|' /C calc'!A0",
	"\uFF1D1+1":                    "'\uFF1D1+1",
	"-2+3":                         "'-2+3",
	"+1":                           "'+1",
	"|calc":                        "'|calc",
	"Noor \u202e00.125\u202c AED":  "Noor \uFFFD00.125\uFFFD AED",
	"\x1b]52;c;QUUw\x07=1":         "\uFFFD]52;c;QUUw\uFFFD=1",
	"Name\r\n=1":                   "Name  =1",
	"O'Brien-Smith":                "O'Brien-Smith",
}

func hostileFixture(t *testing.T) *Ledger {
	t.Helper()
	ctx := context.Background()
	l, clock, _ := newTestLedger(t)
	if err := l.InsertConsent(ctx, testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	i := 0
	for name := range hostileNames {
		clock.Advance(time.Minute)
		p := testPayment("c1", "10.00")
		p.PayeeName, p.Reference = name, name
		if err := l.ReservePayment(ctx, p, Limits{}); err != nil {
			t.Fatal(err)
		}
		i++
		bankID := "PAY-" + strings.Repeat("x", i) + "\u009b2J\u202e"
		if err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: PaymentRejected, BankPaymentID: bankID,
			RejectCode: "AANI.AM04\x1b]2;T\x07", RejectMessage: "no\x1b[2J"}); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

func TestExportCSVHostileText(t *testing.T) {
	l := hostileFixture(t)
	var buf bytes.Buffer
	if err := l.ExportHistory(context.Background(), &buf, "csv", ExportOptions{IncludePII: true}); err != nil {
		t.Fatal(err)
	}
	if bad := hostilebank.Injected(buf.String()); bad != "" {
		t.Fatalf("the CSV carries %s:\n%q", bad, buf.String())
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(hostileNames)+1 {
		t.Fatalf("%d rows", len(rows))
	}
	want := map[string]bool{}
	for _, cell := range hostileNames {
		want[cell] = true
	}
	for _, r := range rows[1:] {
		if !want[r[11]] || r[13] != r[11] {
			t.Errorf("payee name cell %q / reference %q is not one of the expected cells %q", r[11], r[13], hostileNames)
		}
		if !strings.HasPrefix(r[4], "PAY-x") || !strings.HasSuffix(r[4], "\uFFFD2J\uFFFD") || r[10] != "AANI.AM04\uFFFD]2;T\uFFFD" {
			t.Errorf("bank id %q, code %q", r[4], r[10])
		}
	}
}

func TestExportJSONHostileText(t *testing.T) {
	l := hostileFixture(t)
	var buf bytes.Buffer
	if err := l.ExportHistory(context.Background(), &buf, "json", ExportOptions{IncludePII: true}); err != nil {
		t.Fatal(err)
	}
	if bad := hostilebank.Injected(buf.String()); bad != "" {
		t.Fatalf("the JSON export carries %s:\n%s", bad, buf.String())
	}
	var rows []ExportRow
	if err := json.Unmarshal(buf.Bytes(), &rows); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		// JSON escapes, it does not replace: a script reads exactly what the ledger holds.
		if _, ok := hostileNames[*r.PayeeName]; !ok || r.RejectCode != "AANI.AM04\x1b]2;T\x07" || !strings.HasSuffix(r.BankPaymentID, "\u009b2J\u202e") {
			t.Errorf("row changed by the export: %q %q %q", *r.PayeeName, r.RejectCode, r.BankPaymentID)
		}
	}
	buf.Reset()
	if err := l.WriteStatusJSON(context.Background(), &buf, StatusOptions{IncludePII: true}); err != nil {
		t.Fatal(err)
	}
	if bad := hostilebank.Injected(buf.String()); bad != "" {
		t.Fatalf("payterm status --json carries %s:\n%s", bad, buf.String())
	}
	var rep StatusReport
	if err := json.Unmarshal(buf.Bytes(), &rep); err != nil || len(rep.RecentPayments) == 0 || rep.RecentPayments[0].RejectCode != "AANI.AM04\x1b]2;T\x07" {
		t.Fatalf("status report: %v %+v", err, rep.RecentPayments)
	}
}

// TestFailureTextHostileCode: the receipt's sentence quotes the code and the bank's message
// cleaned, whatever an older ledger holds.
func TestFailureTextHostileCode(t *testing.T) {
	got := FailureText(Payment{Status: PaymentRejected, RejectCode: "LFI.X\x1b]2;T\x07\u009b", RejectMessage: "Refused \u202e00.125 \x1b[2J"})
	if bad := hostilebank.Injected(got); bad != "" || !strings.Contains(got, "LFI.X") || !strings.Contains(got, "Refused") {
		t.Fatalf("FailureText = %q (%s)", got, bad)
	}
}

// TestPrepareRefusesBidiAndControls: the core refuses a payee name with a bidi control and a
// reference with a C1 control, whoever calls it (the UI refuses them first, with its own
// sentence), so neither is stored, signed or sent; the refusal does not echo the value.
func TestPrepareRefusesBidiAndControls(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	e.onboard(t, 0, "")
	ctx := context.Background()
	iban := ibanFor("033", "0000000000001111")
	for name, d := range map[string]Draft{
		"name with U+202E":      {ConsentID: e.consentID, Amount: "5", NewPayee: &PayeeInput{Name: "Noor \u202e00.125", IBAN: iban}},
		"name with U+2067":      {ConsentID: e.consentID, Amount: "5", NewPayee: &PayeeInput{Name: "\u2067نور", IBAN: iban}},
		"name with U+009B":      {ConsentID: e.consentID, Amount: "5", NewPayee: &PayeeInput{Name: "Noor\u009b2J", IBAN: iban}},
		"reference with U+009D": {ConsentID: e.consentID, Amount: "5", Reference: "Inv\u009d0;T", NewPayee: &PayeeInput{Name: "Noor Test", IBAN: iban}},
		"reference with U+202E": {ConsentID: e.consentID, Amount: "5", Reference: "Inv \u202e1", NewPayee: &PayeeInput{Name: "Noor Test", IBAN: iban}},
	} {
		_, err := e.wallet.Prepare(ctx, d)
		var pr *Problem
		if !errors.As(err, &pr) || pr.Next == "" {
			t.Errorf("%s: err = %v, want a Problem saying what to do", name, err)
			continue
		}
		if bad := hostilebank.Injected(err.Error()); bad != "" {
			t.Errorf("%s: the refusal carries %s: %q", name, bad, err)
		}
	}
	if payees, _ := e.ledger.Payees(ctx, e.consentID); len(payees) != 0 {
		t.Errorf("%d refused payees were stored", len(payees))
	}
	e.confirmPayee(t, e.consentID, "Bank\u200f of the Test", iban)
	if _, err := e.wallet.Prepare(ctx, Draft{ConsentID: e.consentID, Amount: "5", Reference: "فاتورة \u200f٧",
		NewPayee: &PayeeInput{Name: "Bank\u200f of the Test", IBAN: iban}}); err != nil {
		t.Errorf("a name and reference with a bidi mark (not an override) were refused: %v", err)
	}
}

// TestPrepareRefusesABankAndAddressWhereNoneIsTaken: a payee typed with a bank (BIC), address or
// country at a bank whose provider takes none (the UAE bank checks payees itself) is refused, not
// stored without them: the payer would otherwise believe they were sent.
func TestPrepareRefusesABankAndAddressWhereNoneIsTaken(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	e.onboard(t, 0, "")
	ctx := context.Background()
	iban := ibanFor("033", "0000000000001111")
	for name, in := range map[string]PayeeInput{
		"bic":     {Name: "Noor Test", IBAN: iban, BIC: "NBADAEAA"},
		"address": {Name: "Noor Test", IBAN: iban, Address: []string{"Street 1"}},
		"country": {Name: "Noor Test", IBAN: iban, Country: "AE"},
	} {
		_, err := e.wallet.Prepare(ctx, Draft{ConsentID: e.consentID, Amount: "5", NewPayee: &in})
		var pr *Problem
		if !errors.As(err, &pr) || !strings.Contains(pr.What, "no payee bank or address") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if payees, _ := e.ledger.Payees(ctx, e.consentID); len(payees) != 0 {
		t.Errorf("%d refused payees were stored", len(payees))
	}
}
