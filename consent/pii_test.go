package consent

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestBuildConsentPIIModels(t *testing.T) {
	debtorIBAN := testIBAN(t, "026", "1111111111111111")
	tests := []struct {
		name      string
		in        ConsentPIIInput
		wantCount int
	}{
		{"open", ConsentPIIInput{Model: OpenBeneficiary, Risk: testRisk}, 0},
		{"open with debtor", ConsentPIIInput{Model: OpenBeneficiary, Debtor: &DebtorAccountInput{IBAN: debtorIBAN, Name: &Name{EN: "Test Holder"}}, Risk: testRisk}, 0},
		{"single", ConsentPIIInput{Model: SingleBeneficiary, Creditors: []CreditorInput{testCreditor(t, 1)}, Risk: testRisk}, 1},
		{"multiple 2", ConsentPIIInput{Model: MultipleBeneficiaries, Creditors: []CreditorInput{testCreditor(t, 1), testCreditor(t, 2)}, Risk: testRisk}, 2},
	}
	ten := ConsentPIIInput{Model: MultipleBeneficiaries, Risk: testRisk}
	for i := range 10 {
		ten.Creditors = append(ten.Creditors, testCreditor(t, i))
	}
	tests = append(tests, struct {
		name      string
		in        ConsentPIIInput
		wantCount int
	}{"multiple 10", ten, 10})

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pii, err := BuildConsentPII(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(pii.JSON, &doc); err != nil {
				t.Fatal(err)
			}
			if _, ok := doc["Risk"]; !ok {
				t.Error("Risk missing")
			}
			init, _ := doc["Initiation"].(map[string]any)
			creds, hasCreditor := init["Creditor"]
			if tt.wantCount == 0 && hasCreditor {
				t.Error("open consent must omit Creditor entirely")
			}
			if tt.wantCount > 0 && len(creds.([]any)) != tt.wantCount {
				t.Errorf("creditors = %d, want %d", len(creds.([]any)), tt.wantCount)
			}
			if len(pii.Creditors) != tt.wantCount || pii.Model != tt.in.Model {
				t.Errorf("ConsentPII has %d creditors, model %s", len(pii.Creditors), pii.Model)
			}
			if tt.in.Debtor == nil && init != nil && init["DebtorAccount"] != nil {
				t.Error("unexpected DebtorAccount")
			}
			if strings.Contains(pii.String(), "0331") {
				t.Error("String leaks PII")
			}
		})
	}
}

func TestBuildConsentPIICanonicalisesIBAN(t *testing.T) {
	pii, err := BuildConsentPII(ConsentPIIInput{
		Model:     SingleBeneficiary,
		Creditors: []CreditorInput{{IBAN: "ae07 0331 2345 6789 0123 456", AccountName: Name{EN: "Ivan David England"}, AccountType: CreditorIndividual}},
		Debtor:    &DebtorAccountInput{IBAN: "ae07 0331 2345 6789 0123 456", Name: &Name{AR: "إيفان"}},
		Risk:      json.RawMessage("{\n  \"TransactionIndicators\": {\"IsCustomerPresent\": true}\n}"),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Initiation":{"DebtorAccount":{"SchemeName":"IBAN","Identification":"AE070331234567890123456","Name":{"ar":"إيفان"}},` +
		`"Creditor":[{"CreditorAccount":{"SchemeName":"IBAN","Identification":"AE070331234567890123456","Name":{"en":"Ivan David England"},"Type":"Individual"}}]},` +
		`"Risk":{"TransactionIndicators":{"IsCustomerPresent":true}}}`
	if string(pii.JSON) != want {
		t.Errorf("PII JSON =\n%s\nwant\n%s", pii.JSON, want)
	}
}

func TestBuildConsentPIIRejects(t *testing.T) {
	long := strings.Repeat("x", 71)
	c := func(mod func(*CreditorInput)) []CreditorInput {
		in := testCreditor(t, 1)
		mod(&in)
		return []CreditorInput{in}
	}
	tests := []struct {
		name  string
		in    ConsentPIIInput
		field string
	}{
		{"no model", ConsentPIIInput{Risk: testRisk}, "BeneficiaryModel"},
		{"open with creditor", ConsentPIIInput{Model: OpenBeneficiary, Creditors: []CreditorInput{testCreditor(t, 1)}, Risk: testRisk}, "Initiation.Creditor"},
		{"single with none", ConsentPIIInput{Model: SingleBeneficiary, Risk: testRisk}, "Initiation.Creditor"},
		{"single with two", ConsentPIIInput{Model: SingleBeneficiary, Creditors: []CreditorInput{testCreditor(t, 1), testCreditor(t, 2)}, Risk: testRisk}, "Initiation.Creditor"},
		{"multiple with one", ConsentPIIInput{Model: MultipleBeneficiaries, Creditors: []CreditorInput{testCreditor(t, 1)}, Risk: testRisk}, "Initiation.Creditor"},
		{"multiple with 11", func() ConsentPIIInput {
			in := ConsentPIIInput{Model: MultipleBeneficiaries, Risk: testRisk}
			for i := range 11 {
				in.Creditors = append(in.Creditors, CreditorInput{IBAN: testIBAN(t, "033", fmt.Sprintf("%016d", i)), AccountName: Name{EN: "P"}})
			}
			return in
		}(), "Initiation.Creditor"},
		{"duplicate IBAN", ConsentPIIInput{Model: MultipleBeneficiaries, Creditors: []CreditorInput{testCreditor(t, 1), testCreditor(t, 1)}, Risk: testRisk}, "Initiation.Creditor[1].CreditorAccount.Identification"},
		{"bad creditor IBAN", ConsentPIIInput{Model: SingleBeneficiary, Creditors: c(func(c *CreditorInput) { c.IBAN = invalidIBAN }), Risk: testRisk}, "Initiation.Creditor[0].CreditorAccount.Identification"},
		{"no creditor name", ConsentPIIInput{Model: SingleBeneficiary, Creditors: c(func(c *CreditorInput) { c.AccountName = Name{} }), Risk: testRisk}, "Initiation.Creditor[0].CreditorAccount.Name"},
		{"long en name", ConsentPIIInput{Model: SingleBeneficiary, Creditors: c(func(c *CreditorInput) { c.AccountName = Name{EN: long} }), Risk: testRisk}, "Initiation.Creditor[0].CreditorAccount.Name.en"},
		{"long ar name", ConsentPIIInput{Model: SingleBeneficiary, Creditors: c(func(c *CreditorInput) { c.AccountName = Name{EN: "ok", AR: strings.Repeat("ب", 71)} }), Risk: testRisk}, "Initiation.Creditor[0].CreditorAccount.Name.ar"},
		{"padded name", ConsentPIIInput{Model: SingleBeneficiary, Creditors: c(func(c *CreditorInput) { c.AccountName = Name{EN: "Ivan "} }), Risk: testRisk}, "Initiation.Creditor[0].CreditorAccount.Name.en"},
		{"control char", ConsentPIIInput{Model: SingleBeneficiary, Creditors: c(func(c *CreditorInput) { c.AccountName = Name{EN: "Iv\x1b[2Jan"} }), Risk: testRisk}, "Initiation.Creditor[0].CreditorAccount.Name.en"},
		{"bad utf8", ConsentPIIInput{Model: SingleBeneficiary, Creditors: c(func(c *CreditorInput) { c.AccountName = Name{EN: "Iv\xffan"} }), Risk: testRisk}, "Initiation.Creditor[0].CreditorAccount.Name.en"},
		{"long trading name", ConsentPIIInput{Model: SingleBeneficiary, Creditors: c(func(c *CreditorInput) { c.TradingName = &Name{EN: long} }), Risk: testRisk}, "Initiation.Creditor[0].CreditorAccount.TradingName.en"},
		{"empty trading name", ConsentPIIInput{Model: SingleBeneficiary, Creditors: c(func(c *CreditorInput) { c.TradingName = &Name{} }), Risk: testRisk}, "Initiation.Creditor[0].CreditorAccount.TradingName"},
		{"bad account type", ConsentPIIInput{Model: SingleBeneficiary, Creditors: c(func(c *CreditorInput) { c.AccountType = "Person" }), Risk: testRisk}, "Initiation.Creditor[0].CreditorAccount.Type"},
		{"long party name", ConsentPIIInput{Model: SingleBeneficiary, Creditors: c(func(c *CreditorInput) { c.PartyName = strings.Repeat("p", 141) }), Risk: testRisk}, "Initiation.Creditor[0].Creditor.Name"},
		{"bad BIC", ConsentPIIInput{Model: SingleBeneficiary, Creditors: c(func(c *CreditorInput) { c.Agent = &CreditorAgentInput{SchemeName: "BICFI", Identification: "MEBL"} }), Risk: testRisk}, "Initiation.Creditor[0].CreditorAgent.Identification"},
		{"bad agent scheme", ConsentPIIInput{Model: SingleBeneficiary, Creditors: c(func(c *CreditorInput) { c.Agent = &CreditorAgentInput{SchemeName: "SWIFT", Identification: "MEBLAEAD"} }), Risk: testRisk}, "Initiation.Creditor[0].CreditorAgent.SchemeName"},
		{"bad CoP", ConsentPIIInput{Model: SingleBeneficiary, Creditors: c(func(c *CreditorInput) { c.ConfirmationOfPayee = "not-a-jws" }), Risk: testRisk}, "Initiation.Creditor[0].ConfirmationOfPayeeResponse"},
		{"bad debtor IBAN", ConsentPIIInput{Model: OpenBeneficiary, Debtor: &DebtorAccountInput{IBAN: "AE00"}, Risk: testRisk}, "Initiation.DebtorAccount.Identification"},
		// Rule 18: the LFI refuses a DebtorAccount without its holder's name.
		{"no debtor name", ConsentPIIInput{Model: OpenBeneficiary, Debtor: &DebtorAccountInput{IBAN: validIBAN}, Risk: testRisk}, "Initiation.DebtorAccount.Name"},
		{"empty debtor name", ConsentPIIInput{Model: OpenBeneficiary, Debtor: &DebtorAccountInput{IBAN: validIBAN, Name: &Name{}}, Risk: testRisk}, "Initiation.DebtorAccount.Name"},
		{"no risk", ConsentPIIInput{Model: OpenBeneficiary}, "Risk"},
		{"risk not json", ConsentPIIInput{Model: OpenBeneficiary, Risk: json.RawMessage(`{"a":`)}, "Risk"},
		{"risk array", ConsentPIIInput{Model: OpenBeneficiary, Risk: json.RawMessage(`[1]`)}, "Risk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := BuildConsentPII(tt.in)
			var secrets []string
			for _, c := range tt.in.Creditors {
				secrets = append(secrets, c.IBAN, c.AccountName.EN, c.AccountName.AR)
			}
			if tt.in.Debtor != nil {
				secrets = append(secrets, tt.in.Debtor.IBAN)
			}
			wantFieldErr(t, err, tt.field, secrets...)
		})
	}
}

func TestBuildCreditorOptionalFields(t *testing.T) {
	dc, err := BuildCreditor(CreditorInput{
		IBAN: validIBAN, AccountName: Name{EN: "Ivan", AR: "إيفان"}, TradingName: &Name{EN: "Ivan's"},
		AccountType: CreditorMerchant, PartyName: "Ivan England",
		Agent:               &CreditorAgentInput{SchemeName: "BICFI", Identification: "MEBLAEADXXX"},
		ConfirmationOfPayee: "eyJhbGciOiJQUzI1NiJ9.eyJ4IjoxfQ.c2ln",
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(dc)
	want := `{"CreditorAgent":{"SchemeName":"BICFI","Identification":"MEBLAEADXXX"},"Creditor":{"Name":"Ivan England"},` +
		`"CreditorAccount":{"SchemeName":"IBAN","Identification":"AE070331234567890123456","Name":{"en":"Ivan","ar":"إيفان"},"TradingName":{"en":"Ivan's"},"Type":"Merchant"},` +
		`"ConfirmationOfPayeeResponse":"eyJhbGciOiJQUzI1NiJ9.eyJ4IjoxfQ.c2ln"}`
	if string(b) != want {
		t.Errorf("creditor JSON =\n%s\nwant\n%s", b, want)
	}
	for _, bic := range []string{"MEBLAEAD", "MEBLAEAD123"} {
		if _, err := BuildCreditor(CreditorInput{IBAN: validIBAN, AccountName: Name{EN: "I"}, Agent: &CreditorAgentInput{SchemeName: "BICFI", Identification: bic}}); err != nil {
			t.Errorf("BIC of length %d rejected: %v", len(bic), err)
		}
	}
}

// FuzzBuildCreditor: untrusted payee input never panics, and what is accepted is canonical and
// passes the builder's own rules again.
func FuzzBuildCreditor(f *testing.F) {
	f.Add(validIBAN, "Ivan", "", "Individual", "MEBLAEAD")
	f.Add("ae07 0331 2345 6789 0123 456", "", "إيفان", "", "")
	f.Add(invalidIBAN, " x ", "\x00", "Person", "MEBL")
	f.Add("", strings.Repeat("n", 71), "", "Other", "MEBLAEADXXX")
	f.Fuzz(func(t *testing.T, iban, en, ar, typ, bic string) {
		in := CreditorInput{IBAN: iban, AccountName: Name{EN: en, AR: ar}, AccountType: CreditorAccountType(typ)}
		if bic != "" {
			in.Agent = &CreditorAgentInput{SchemeName: "BICFI", Identification: bic}
		}
		dc, err := BuildCreditor(in)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("not a FieldError: %v", err)
			}
			return
		}
		if dc.CreditorAccount.Name != in.AccountName {
			t.Fatal("the name was rewritten; the bank compares it byte for byte")
		}
		again, err := BuildCreditor(CreditorInput{IBAN: dc.CreditorAccount.Identification.Canonical(), AccountName: dc.CreditorAccount.Name, AccountType: dc.CreditorAccount.Type})
		if err != nil || again.CreditorAccount.Identification != dc.CreditorAccount.Identification {
			t.Fatalf("accepted creditor does not rebuild: %v", err)
		}
		if _, err := json.Marshal(dc); err != nil {
			t.Fatal(err)
		}
	})
}
