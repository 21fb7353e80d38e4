package consent

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/internal/specs"
)

const testJWE = "eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIiwia2lkIjoiayJ9.a2V5.aXY.Y2lwaGVy.dGFn"

func TestBuildAuthorizationDetails(t *testing.T) {
	p := testParams()
	p.Permissions = []Permission{ReadAccountsBasic, ReadBalances}
	p.ExpirationDateTime = time.Date(2027, 3, 1, 4, 0, 0, 999, time.FixedZone("GST", 4*3600))
	ad, err := BuildAuthorizationDetails(p, testJWE, testNow)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(ad)
	want := `[{"type":"urn:openfinanceuae:service-initiation-consent:v2.1","consent":{"ConsentId":"b8f42378-10ac-46a1-8d20-4e020484216d",` +
		`"IsSingleAuthorization":true,"ExpirationDateTime":"2027-03-01T04:00:00+04:00","Permissions":["ReadAccountsBasic","ReadBalances"],` +
		`"ControlParameters":{"IsDelegatedAuthentication":true,"ConsentSchedule":{}},"PersonalIdentifiableInformation":"` + testJWE + `",` +
		`"PaymentPurposeCode":"MWP","DebtorReference":"Wallet","CreditorReference":"Wallet"}}]`
	if string(got) != want {
		t.Errorf("authorization_details =\n%s\nwant\n%s", got, want)
	}
	if Scope(p.Permissions) != "accounts payments openid" {
		t.Errorf("Scope = %q", Scope(p.Permissions))
	}
	if Scope(nil) != "payments openid" || Scope([]Permission{ReadRefundAccount}) != "payments openid" {
		t.Error("Scope without account permissions must be payments openid")
	}
	if strings.Contains(ad[0].Consent.String(), testJWE) {
		t.Error("String leaks the sealed PII")
	}
}

func TestBuildAuthorizationDetailsUTCOffset(t *testing.T) {
	p := testParams()
	p.ExpirationDateTime = time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	ad, err := BuildAuthorizationDetails(p, testJWE, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if ad[0].Consent.ExpirationDateTime != "2027-03-01T00:00:00+00:00" {
		t.Errorf("ExpirationDateTime = %s, want a numeric +00:00 offset", ad[0].Consent.ExpirationDateTime)
	}
	p.BaseConsentID = "0b7e4ac6-5b1d-4b80-9c3c-1f0f6e2a9d11"
	if _, err := BuildAuthorizationDetails(p, testJWE, testNow); err != nil {
		t.Errorf("renewal with BaseConsentId: %v", err)
	}
}

func TestConsentParamsRejects(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(*ConsentParams)
		field string
	}{
		{"no consent id", func(p *ConsentParams) { p.ConsentID = "" }, "consent.ConsentId"},
		{"consent id not uuid", func(p *ConsentParams) { p.ConsentID = "consent-1" }, "consent.ConsentId"},
		{"consent id upper case", func(p *ConsentParams) { p.ConsentID = strings.ToUpper(testConsentID) }, "consent.ConsentId"},
		{"consent id urn", func(p *ConsentParams) { p.ConsentID = "urn:uuid:" + testConsentID }, "consent.ConsentId"},
		{"base id not uuid", func(p *ConsentParams) { p.BaseConsentID = "x" }, "consent.BaseConsentId"},
		{"base id is self", func(p *ConsentParams) { p.BaseConsentID = testConsentID }, "consent.BaseConsentId"},
		{"no expiry", func(p *ConsentParams) { p.ExpirationDateTime = time.Time{} }, "consent.ExpirationDateTime"},
		{"expiry past", func(p *ConsentParams) { p.ExpirationDateTime = testNow.Add(-time.Second) }, "consent.ExpirationDateTime"},
		{"expiry now", func(p *ConsentParams) { p.ExpirationDateTime = testNow }, "consent.ExpirationDateTime"},
		{"expiry one year", func(p *ConsentParams) { p.ExpirationDateTime = testNow.AddDate(1, 0, 0) }, "consent.ExpirationDateTime"},
		{"expiry over a year", func(p *ConsentParams) { p.ExpirationDateTime = testNow.AddDate(1, 0, 1) }, "consent.ExpirationDateTime"},
		{"no purpose", func(p *ConsentParams) { p.PaymentPurposeCode = "" }, "consent.PaymentPurposeCode"},
		{"purpose lower", func(p *ConsentParams) { p.PaymentPurposeCode = "mwp" }, "consent.PaymentPurposeCode"},
		{"purpose unknown", func(p *ConsentParams) { p.PaymentPurposeCode = "ZZZ" }, "consent.PaymentPurposeCode"},
		{"purpose misspelt ULT", func(p *ConsentParams) { p.PaymentPurposeCode = "ULT" }, "consent.PaymentPurposeCode"},
		{"bad permission", func(p *ConsentParams) { p.Permissions = []Permission{"ReadTransactions"} }, "consent.Permissions[0]"},
		{"duplicate permission", func(p *ConsentParams) { p.Permissions = []Permission{ReadAccountsBasic, ReadAccountsBasic} }, "consent.Permissions[1]"},
		{"balances alone", func(p *ConsentParams) { p.Permissions = []Permission{ReadBalances} }, "consent.Permissions"},
		{"balances with refund", func(p *ConsentParams) { p.Permissions = []Permission{ReadRefundAccount, ReadBalances} }, "consent.Permissions"},
		{"long debtor ref", func(p *ConsentParams) { p.DebtorReference = strings.Repeat("r", 36) }, "consent.DebtorReference"},
		{"long creditor ref", func(p *ConsentParams) { p.CreditorReference = strings.Repeat("r", 36) }, "consent.CreditorReference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testParams()
			tt.mod(&p)
			_, err := BuildAuthorizationDetails(p, testJWE, testNow)
			wantFieldErr(t, err, tt.field, p.DebtorReference, p.CreditorReference)
		})
	}
	// Boundaries that must pass.
	p := testParams()
	p.ExpirationDateTime = testNow.AddDate(1, 0, 0).Add(-time.Second)
	p.DebtorReference, p.CreditorReference = strings.Repeat("r", 35), "r"
	p.Permissions = []Permission{ReadAccountsDetail, ReadBalances, ReadRefundAccount}
	if _, err := BuildAuthorizationDetails(p, testJWE, testNow); err != nil {
		t.Errorf("boundary values rejected: %v", err)
	}
}

func TestBuildAuthorizationDetailsNeedsJWE(t *testing.T) {
	for _, pii := range []string{"", `{"Initiation":{}}`, "a.b.c", "a.b.c.d.e.f"} {
		_, err := BuildAuthorizationDetails(testParams(), pii, testNow)
		wantFieldErr(t, err, "consent.PersonalIdentifiableInformation")
	}
}

// TestPurposeCodesMatchShared keeps our embedded copy identical to the shared list.
func TestPurposeCodesMatchShared(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(specs.RequireDir(t), "aani-purpose-codes.json"))
	if err != nil {
		t.Fatalf("shared purpose codes: %v", err)
	}
	var doc struct {
		Codes map[string]string `json:"codes"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	ours, err := PurposeCodes()
	if err != nil {
		t.Fatal(err)
	}
	if len(ours) != 100 || len(doc.Codes) != len(ours) {
		t.Fatalf("ours has %d codes, shared %d", len(ours), len(doc.Codes))
	}
	for k, v := range doc.Codes {
		if ours[k] != v {
			t.Errorf("code %s: ours %q, shared %q", k, ours[k], v)
		}
	}
}
