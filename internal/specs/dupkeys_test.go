package specs

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"
)

func TestNoDuplicateKeys(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":1,"a":2}`:                         `duplicate key "a" in the object at /`,
		`{"a":{"b":1,"c":{"d":1},"b":2}}`:       `duplicate key "b" in the object at /a`,
		`[{"x":1},{"x":1,"y":[{"z":1,"z":2}]}]`: `duplicate key "z" in the object at /1/y/0`,
		`{"a":{"x":1},"b":{"x":1}}`:             "",
		`[{"x":1},{"x":1}]`:                     "",
		`{"a":[1,2,{"k":"v"}],"b":"a"}`:         "",
		`{"a":`:                                 "", // malformed: left to the decoder
	} {
		err := noDuplicateKeys([]byte(in))
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: unexpected %v", in, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: want %q, got %v", in, want, err)
		}
	}
}

func TestValidateRefusesDuplicateKeys(t *testing.T) {
	doc, err := Load(fixture(t, "formats.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	err = doc.Validate("Formats", []byte(`{"Date":"2026-01-01","Date":"not a date"}`))
	if err == nil || !strings.Contains(err.Error(), "duplicate key") {
		t.Fatalf("want a duplicate-key error, got %v", err)
	}
}

// FuzzValidate: arbitrary bytes never panic, and no string value of the
// input appears in the error text (only names, paths and reasons do).
func FuzzValidate(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"Date":"2026-02-30"}`, `{"UUID":"Zq7-SECRET-VALUE","Count":1e40}`, `{"a":1,"a":2}`, `[`, `null`,
		`{"Kind":"cat","Lives":10}`, `{"Kind":"dog","Good":"yes-2026-x"}`, `{"Maybe":null,"Never":null}`,
		`"\ud800"`, `{"Duration":"PT","URL":"ftp://h0st/x"}`,
	} {
		f.Add([]byte(s))
	}
	doc, err := Load(mustAbs(f, "testdata/formats.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		secrets := distinctiveValues(b)
		for _, name := range []string{"Formats", "Pet", "Nullable"} {
			err := doc.Validate(name, b)
			if err == nil {
				continue
			}
			for _, s := range secrets {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error quotes the input value %q: %v", s, err)
				}
			}
		}
	})
}

// distinctiveValues returns the string values of a JSON document that
// could not appear in an error for another reason: at least 8 characters,
// with a letter and a digit, and not also used as a key.
func distinctiveValues(b []byte) []string {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return nil
	}
	keys := map[string]bool{}
	var vals []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				keys[k] = true
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		case string:
			vals = append(vals, x)
		}
	}
	walk(v)
	var out []string
	for _, s := range vals {
		if len(s) >= 8 && !keys[s] && strings.ContainsAny(s, "0123456789") && strings.IndexFunc(s, unicode.IsLetter) >= 0 {
			out = append(out, s)
		}
	}
	return out
}
