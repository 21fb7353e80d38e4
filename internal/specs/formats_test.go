package specs

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestFormatValidators(t *testing.T) {
	cases := []struct {
		format string
		good   []string
		bad    []string
	}{
		{"date-time",
			[]string{"2026-11-22T01:37:50Z", "2026-11-22T05:37:50.123+04:00", "2024-02-29T00:00:00-01:30"},
			[]string{"", "2026-11-22", "2026-11-22T01:37Z", "2026-02-30T00:00:00Z", "2026-11-22T24:00:00Z", "2026-11-22 01:37:50Z", "2026-11-22t01:37:50z", "2026-11-22T01:37:50"}},
		{"date",
			[]string{"2026-11-22", "2024-02-29"},
			[]string{"", "2026-13-01", "2025-02-29", "22-11-2026", "2026-11-22T00:00:00Z"}},
		{"uuid",
			[]string{"3fa85f64-5717-4562-b3fc-2c963f66afa6", "3FA85F64-5717-4562-B3FC-2C963F66AFA6"},
			[]string{"", "3fa85f645717-4562-b3fc-2c963f66afa6", "3fa85f64-5717-4562-b3fc-2c963f66afa", "{3fa85f64-5717-4562-b3fc-2c963f66afa6}", "zfa85f64-5717-4562-b3fc-2c963f66afa6"}},
		{"duration",
			[]string{"P30D", "PT1H", "P1Y2M3DT4H5M6S", "PT0.5S", "P2W"},
			[]string{"", "P", "PT", "P1DT", "30D", "P-1D", "P1H"}},
		{"email",
			[]string{"ops@bank.example"},
			[]string{"", "not an email", "Ops <ops@bank.example>", "ops@"}},
		{"uri",
			[]string{"https://bank.example/x?y=1", "urn:openfinanceuae:service-initiation-consent:v2.1"},
			[]string{"", "/relative/path", "https://bank.example/a b", "https://bank.example/\u00e9"}},
		{"url",
			[]string{"https://bank.example/open-finance/payment/v2.1/payments/1"},
			[]string{"", "urn:x:y", "ftp://bank.example/", "https:///nohost"}},
		{"base64",
			[]string{"", "aGVsbG8=", "aGVsbG8", "-_-_"},
			[]string{"not base64!", "=x="}},
	}
	for _, c := range cases {
		v, ok := stringFormats[c.format]
		if !ok {
			t.Fatalf("no validator for %q", c.format)
		}
		for _, s := range c.good {
			if err := v.Validate(s); err != nil {
				t.Errorf("%s: %q rejected: %v", c.format, s, err)
			}
		}
		for _, s := range c.bad {
			err := v.Validate(s)
			if err == nil {
				t.Errorf("%s: %q accepted", c.format, s)
				continue
			}
			if s != "" && strings.Contains(err.Error(), s) {
				t.Errorf("%s: error quotes the value: %v", c.format, err)
			}
		}
	}
}

// The validators are wired into Validate (kin-openapi would otherwise skip
// uuid, duration, email, uri and url without a word).
func TestValidateChecksFormats(t *testing.T) {
	doc, err := Load(fixture(t, "formats.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	good := `{"DateTime":"2026-11-22T01:37:50Z","Date":"2026-11-22","UUID":"3fa85f64-5717-4562-b3fc-2c963f66afa6",
		"Duration":"P30D","Email":"ops@bank.example","URI":"urn:a:b","URL":"https://bank.example/","Base64":"aGk=","Count":5}`
	if err := doc.Validate("Formats", []byte(good)); err != nil {
		t.Fatalf("good value rejected: %v", err)
	}
	for field, bad := range map[string]string{
		"DateTime": `"2026-02-30T00:00:00Z"`, "Date": `"2026-02-30"`, "UUID": `"not-a-uuid"`,
		"Duration": `"30 days"`, "Email": `"nobody"`, "URI": `"/rel"`, "URL": `"urn:a:b"`,
		"Base64": `"%%%"`, "Count": `3000000000`,
	} {
		err := doc.Validate("Formats", []byte(`{"`+field+`":`+bad+`}`))
		ve := asValidationError(t, err)
		if len(ve.Problems) != 1 || ve.Problems[0].Path != "/"+field {
			t.Errorf("%s=%s: want one problem at /%s, got %v", field, bad, field, ve.Problems)
		}
	}
}

func TestUnknownFormatRefused(t *testing.T) {
	_, err := Load(fixture(t, "unknown-format.yaml"))
	if err == nil || !strings.Contains(err.Error(), "hostname") {
		t.Fatalf("want a refusal naming the unchecked format, got %v", err)
	}
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	return mustAbs(t, filepath.Join("testdata", name))
}

func mustAbs(tb testing.TB, path string) string {
	tb.Helper()
	p, err := filepath.Abs(path)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func asValidationError(t *testing.T, err error) *ValidationError {
	t.Helper()
	ve, ok := err.(*ValidationError)
	if !ok {
		t.Fatalf("want *ValidationError, got %T: %v", err, err)
	}
	return ve
}
