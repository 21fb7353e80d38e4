package wire

import (
	"errors"
	"strings"
	"testing"
)

func TestEncodeJSONKeepsUnicodeAndSlashes(t *testing.T) {
	b, err := EncodeJSON(map[string]string{"n": "Café <a/b>"})
	if err != nil || string(b) != `{"n":"Café <a/b>"}` {
		t.Fatalf("%s, %v", b, err)
	}
}

func TestReadBoundedRefusesLonger(t *testing.T) {
	if b, err := ReadBounded(strings.NewReader("12345"), 5); err != nil || string(b) != "12345" {
		t.Fatalf("at the bound: %q, %v", b, err)
	}
	if _, err := ReadBounded(strings.NewReader("123456"), 5); err == nil {
		t.Fatal("a body past the bound was read (truncated?)")
	}
}

func TestStrictJSON(t *testing.T) {
	var v struct{ A int }
	if err := StrictJSON("x", []byte(`{"A":1,"B":2}`), &v); err != nil || v.A != 1 {
		t.Fatalf("unknown fields refused: %v", err)
	}
	var de *DecodeError
	for _, bad := range []string{`{"A":1} {}`, `{"A":"1"}`, ``, `[`} {
		if err := StrictJSON("x", []byte(bad), &v); !errors.As(err, &de) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestPrintableID(t *testing.T) {
	for _, ok := range []string{"a", "7f3e-01_X.~", strings.Repeat("a", 11)} {
		if !PrintableID(ok, 11) {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"", strings.Repeat("a", 12), "a b", "a/b", "a?b", "a#b", "a%b", "a&b", "a=b", `a"b`, `a\b`, "a\x1bb", "é"} {
		if PrintableID(bad, 11) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzPrintableID(f *testing.F) {
	for _, s := range []string{"abc", "a/b", "\x7f", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if PrintableID(s, 64) && strings.ContainsAny(s, " /?#%&=\"\\") {
			t.Fatalf("%q accepted with URL syntax", s)
		}
		for _, r := range s {
			if PrintableID(s, 64) && (r < 0x21 || r > 0x7e) {
				t.Fatalf("%q accepted with %U", s, r)
			}
		}
	})
}

func TestMaskPIIAtAnyDepth(t *testing.T) {
	v := DecodeBody([]byte(`{"name":"Kari","data":[{"iban":"NO93","amount":"1.00"}],"id":"x"}`))
	got, err := EncodeJSON(MaskPII(v, []string{"name", "iban"}))
	if err != nil || string(got) != `{"data":[{"amount":"1.00","iban":"[PII]"}],"id":"x","name":"[PII]"}` {
		t.Fatalf("%s, %v", got, err)
	}
	if DecodeBody(nil) != nil || DecodeBody([]byte("not json")) != nil {
		t.Fatal("an empty or non-JSON body decoded to a value")
	}
}
