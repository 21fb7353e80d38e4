package fintecture

import (
	"strings"
	"testing"
)

// FuzzSessionBody: the hub's reading of a session body never panics, and what it accepts
// holds what the rules promise (an amount of the wire form, a registered currency, texts
// without control characters, a valid IBAN when a beneficiary is named).
func FuzzSessionBody(f *testing.F) {
	f.Add([]byte(goodBody))
	f.Add([]byte(strings.Replace(goodBody, `,"beneficiary":{"name":"Café Zoë","iban":"FR7630006000011234567890189"}`, ``, 1)))
	f.Add([]byte(`{"meta":{},"data":{"type":"SEPA","attributes":{}}}`))
	f.Add([]byte(`[]`))
	h := &Hub{cfg: Config{Currencies: []string{"EUR"}}}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, rule, _ := h.session(b)
		if rule != 0 {
			if s != nil {
				t.Fatal("a refused body gave a session")
			}
			return
		}
		if !amountForm.MatchString(s.Amount) || s.Amount == "0.00" || s.Currency != "EUR" || !cleanText(s.Communication, 1, 140) {
			t.Fatalf("accepted %+v", s)
		}
		if s.PayeeIBAN != "" && !validIBAN(s.PayeeIBAN) {
			t.Fatalf("accepted IBAN %q", s.PayeeIBAN)
		}
	})
}

func TestValidIBAN(t *testing.T) {
	for iban, want := range map[string]bool{"FR7630006000011234567890189": true, "DE89370400440532013000": true, "GB82WEST12345698765432": true,
		"FR7630006000011234567890188": false, "DE8937040044053201300": false, "de89370400440532013000": false, "": false} {
		if validIBAN(iban) != want {
			t.Errorf("validIBAN(%q) = %v", iban, !want)
		}
	}
}
