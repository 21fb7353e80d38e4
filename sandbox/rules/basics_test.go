package rules

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payterm/payterm/internal/specs"
)

type strictTarget struct {
	Name  string          `json:"Name"`
	Inner *strictInner    `json:"Inner,omitempty"`
	List  []strictInner   `json:"List,omitempty"`
	Count int64           `json:"Count,omitempty"`
	Raw   map[string]bool `json:"Raw,omitempty"`
}

type strictInner struct {
	Value string `json:"Value"`
}

func TestDecodeStrict(t *testing.T) {
	cases := []struct {
		name, in, path string
	}{
		{"unknown field", `{"Name":"a","Extra":1}`, "Extra"},
		{"miscased field", `{"name":"a"}`, "name"},
		{"duplicate key", `{"Name":"a","Name":"b"}`, "Name"},
		{"nested duplicate", `{"Inner":{"Value":"a","Value":"b"}}`, "Inner.Value"},
		{"duplicate in map", `{"Raw":{"x":true,"x":false}}`, "Raw.x"},
		{"null", `{"Name":null}`, "Name"},
		{"wrong type", `{"Name":1}`, "Name"},
		{"float into int", `{"Count":1.5}`, "Count"},
		{"array item unknown", `{"List":[{"Value":"a"},{"Value":"b","X":1}]}`, "List[1].X"},
		{"trailing data", `{"Name":"a"} {}`, ""},
		{"not an object", `[1]`, ""},
		{"truncated", `{"Name":"a"`, ""},
		{"invalid UTF-8", "{\"Name\":\"a\xff\"}", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var v strictTarget
			err := DecodeStrict([]byte(c.in), &v, "")
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("want DecodeError, got %v", err)
			}
			if de.Path != c.path {
				t.Fatalf("path %q, want %q (%s)", de.Path, c.path, de.Reason)
			}
		})
	}
	var v strictTarget
	if err := DecodeStrict([]byte(`{"Name":"a","Inner":{"Value":"b"},"List":[{"Value":"c"}],"Count":3}`), &v, ""); err != nil {
		t.Fatalf("valid input rejected: %v", err)
	}
	if v.Name != "a" || v.Inner.Value != "b" || v.List[0].Value != "c" || v.Count != 3 {
		t.Fatalf("decoded %+v", v)
	}
	deep := strings.Repeat(`{"Raw":`, 1) + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "}"
	if err := DecodeStrict([]byte(deep), &v, ""); err == nil {
		t.Fatal("deeply nested input accepted")
	}
}

func TestCheckIBAN(t *testing.T) {
	for _, ok := range []string{ibanA, ibanB, ibanC, ibanNoBIC} {
		if err := CheckIBAN(ok); err != nil {
			t.Errorf("valid IBAN rejected: %v", err)
		}
	}
	bad := map[string]error{
		"AE140260123456789012345":      ErrIBANChecksum, // creditor.md sample, fails mod-97
		"AE070331234567890123457":      ErrIBANChecksum,
		"ae070331234567890123456":      ErrIBANFormat,
		"AE07 0331 2345 6789 0123 456": ErrIBANFormat,
		"AE0703312345678901234567":     ErrIBANFormat,
		"GB82WEST12345698765432":       ErrIBANFormat,
		"":                             ErrIBANFormat,
	}
	for in, want := range bad {
		if err := CheckIBAN(in); !errors.Is(err, want) {
			t.Errorf("CheckIBAN(%q) = %v, want %v", in, err, want)
		}
	}
	if code, err := BankCode(ibanC); err != nil || code != "026" {
		t.Fatalf("BankCode = %q, %v", code, err)
	}
}

func TestCheckBIC(t *testing.T) {
	if err := CheckBIC("BOMLAEAD", ibanA); err != nil {
		t.Fatalf("8-char BIC rejected: %v", err)
	}
	if err := CheckBIC("BOMLAEADXXX", ibanA); err != nil {
		t.Fatalf("11-char BIC rejected: %v", err)
	}
	cases := map[string]struct {
		bic, iban string
		want      error
	}{
		"docs pairing ADCB with 033": {"ADCBAEAA", ibanA, ErrBICMismatch},
		"unknown bank code":          {"BOMLAEAD", ibanNoBIC, ErrBICUnknown},
		"10 characters":              {"BOMLAEADXX", ibanA, ErrBICFormat},
		"lowercase":                  {"bomlaead", ibanA, ErrBICFormat},
	}
	for name, c := range cases {
		if err := CheckBIC(c.bic, c.iban); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
	table := DefaultBICs()
	table["999"] = "TESTAEAA"
	if err := checkBIC("TESTAEAA", ibanNoBIC, table); err != nil {
		t.Fatalf("configured table ignored: %v", err)
	}
}

func TestPurposeCodes(t *testing.T) {
	if n := PurposeCodeCount(); n != 100 {
		t.Fatalf("embedded list has %d codes, want 100", n)
	}
	for _, c := range []string{"ACM", "MWP", "TOF", "UTL", "RNT", "SAL"} {
		if !IsPurposeCode(c) {
			t.Errorf("%s rejected", c)
		}
	}
	for _, c := range []string{"ZZZ", "mwp", "MW", "MWPP", ""} {
		if IsPurposeCode(c) {
			t.Errorf("%q accepted", c)
		}
	}
}

// TestPurposeCodesMatchShared compares the embedded copy with the shared one.
func TestPurposeCodesMatchShared(t *testing.T) {
	shared, err := os.ReadFile(filepath.Join(specs.RequireDir(t), "aani-purpose-codes.json"))
	if err != nil {
		t.Fatalf("shared purpose codes: %v", err)
	}
	if !bytes.Equal(shared, aaniPurposeJSON) {
		t.Fatal("embedded aani-purpose-codes.json differs from the shared copy; copy it again")
	}
}

func TestViolationHelpers(t *testing.T) {
	v := violation(17, CodeJWEInvalidHeader, "header.alg", "alg must be RSA-OAEP-256")
	o := AsOAuth(v, OAuthInvalidRequest)
	if o.Code != OAuthInvalidRequest || o.Rule != 17 || o.Path != "header.alg" || !strings.HasPrefix(o.Message, CodeJWEInvalidHeader) {
		t.Fatalf("AsOAuth = %+v", o)
	}
	scope := violation(9, OAuthInvalidScope, "scope", "must contain openid and payments")
	if o := AsOAuth(scope, OAuthInvalidRequest); o.Code != OAuthInvalidScope || o.Message != scope.Message {
		t.Fatalf("AsOAuth must keep an OAuth code: %+v", o)
	}
	if r := AsViolation(WithRule(v, 31)); r.Rule != 31 || v.Rule != 17 {
		t.Fatalf("WithRule changed the original or failed: %+v %+v", r, v)
	}
	if AsOAuth(nil, OAuthInvalidClient) != nil {
		t.Fatal("AsOAuth(nil) must be nil")
	}
	if got := AsOAuth(errors.New("x"), OAuthInvalidClient); got.Code != OAuthInvalidClient {
		t.Fatalf("plain error: %+v", got)
	}
	if !strings.Contains(v.Error(), "rule 17") || !strings.Contains(v.Error(), "header.alg") {
		t.Fatalf("Error() = %q", v.Error())
	}
}

func TestLongKeyPathIsBounded(t *testing.T) {
	key := strings.Repeat("k", 5000)
	_, err := PaymentRequest([]byte(`{"Data":{"`+key+`":1}}`), Options{})
	v := AsViolation(err)
	if v == nil || len(v.Path) > maxPathLength+len("…") || !strings.HasPrefix(v.Path, "Data.kkk") {
		t.Fatalf("path not bounded: %d chars (%v)", len(v.Path), err)
	}
}
