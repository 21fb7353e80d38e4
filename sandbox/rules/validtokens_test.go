package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// decoderTokens is the reader DecodeStrict used for every input before validTokens.
func decoderTokens(data []byte) tokenReader {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec
}

// sameTokens reads both readers to their end (or first error) and reports where they part.
func sameTokens(t *testing.T, data []byte) {
	t.Helper()
	fast, slow := &validTokens{data: data}, decoderTokens(data)
	for i := 0; ; i++ {
		if fm, sm := fast.More(), slow.More(); fm != sm {
			t.Fatalf("token %d of %q: More %v, json.Decoder %v", i, data, fm, sm)
		}
		ft, ferr := fast.Token()
		st, serr := slow.Token()
		if (ferr == nil) != (serr == nil) || !reflect.DeepEqual(ft, st) {
			t.Fatalf("token %d of %q: %#v (%v), json.Decoder %#v (%v)", i, data, ft, ferr, st, serr)
		}
		if serr != nil {
			if !errors.Is(serr, io.EOF) {
				t.Fatalf("valid JSON %q: json.Decoder failed at token %d: %v", data, i, serr)
			}
			return
		}
	}
}

// strictTargets are the shapes DecodeStrict guards on the payment path, with and without
// tolerated unknown members.
var strictTargets = []struct {
	name string
	new  func() any
	open func(string) bool
}{
	{"strictTarget", func() any { return new(strictTarget) }, nil},
	{"paymentPII", func() any { return new(paymentPIIPayload) }, nil},
	{"paymentPII open Risk", func() any { return new(paymentPIIPayload) }, func(p string) bool { return strings.HasPrefix(p, "Risk.") }},
	{"signedBodyClaims", func() any { return new(signedBodyClaims) }, nil},
	{"paymentRequest", func() any { return new(paymentRequestMessage) }, nil},
	{"any", func() any { return new(map[string]any) }, nil},
}

// FuzzValidTokens: on any valid UTF-8 input json.Valid accepts, validTokens yields exactly
// json.Decoder's tokens, and the strict walk over it gives the same verdict (error path
// and reason, or success) for every target shape as the walk over json.Decoder.
func FuzzValidTokens(f *testing.F) {
	for _, s := range []string{consentPIIJSON, paymentPIIJSON, `{"Name":"a","Name":"b"}`, `{"Raw":{"x":true}} `,
		`{"Name":"\u00e9\"\\\/\ud83d\ude00","Count":-12.5e+3,"List":[{"Value":"x"},{"Value":null}]}`,
		` [ 1 , true , false , null , "" , {} , [] ] `, `"just a string"`, `0`, `{"name":"case"}`,
		`{"Data":{"ConsentId":"c","Instruction":{"Amount":{"Amount":"1.00","Currency":"AED"}}},"Data":{}}`,
		`{"Risk":{"DebtorIndicators":{"x":{"y":[1,{"z":"\ud800"}]}}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) || !utf8.Valid(data) { // tokensOf's condition for validTokens
			return
		}
		sameTokens(t, data)
		for _, tg := range strictTargets {
			typ := reflect.TypeOf(tg.new()).Elem()
			fastErr := walkStrict(&validTokens{data: data}, typ, "root", tg.open)
			slowErr := walkStrict(decoderTokens(data), typ, "root", tg.open)
			if !reflect.DeepEqual(fastErr, slowErr) {
				t.Fatalf("%s, %q: walk over validTokens %v, over json.Decoder %v", tg.name, data, fastErr, slowErr)
			}
		}
	})
}

// TestDecodeStrictRefusesTheSameOverBothReaders: invalid JSON still goes through
// json.Decoder (so errors keep their paths), valid JSON through validTokens; the strict
// checks refuse the same things either way.
func TestDecodeStrictRefusesTheSameOverBothReaders(t *testing.T) {
	if _, ok := tokensOf([]byte(`{"Name":"a"`)).(*json.Decoder); !ok {
		t.Fatal("invalid JSON is not read by json.Decoder")
	}
	if _, ok := tokensOf([]byte(`{"Name":"a"}`)).(*validTokens); !ok {
		t.Fatal("valid JSON is not read by validTokens")
	}
	if _, ok := tokensOf([]byte("{\"Name\":\"\xed\"}")).(*json.Decoder); !ok {
		t.Fatal("JSON with invalid UTF-8 is not read by json.Decoder")
	}
	for _, in := range []string{`{"Name":"a","Name":"b"}`, `{"Name":null}`, `{"name":"a"}`, `{"Other":1}`, `{"Count":1.5}`,
		`{"Count":"1"}`, `{"List":{}}`, `{"Raw":{"x":1}}`, `{"Inner":{"Value":"v","Value":"w"}}`, `[]`} {
		sameTokens(t, []byte(in))
		typ := reflect.TypeFor[strictTarget]()
		fastErr := walkStrict(&validTokens{data: []byte(in)}, typ, "", nil)
		slowErr := walkStrict(decoderTokens([]byte(in)), typ, "", nil)
		if fastErr == nil || !reflect.DeepEqual(fastErr, slowErr) {
			t.Errorf("%s: over validTokens %v, over json.Decoder %v (both must refuse alike)", in, fastErr, slowErr)
		}
	}
}
