package risk

import (
	"encoding/json"
	"testing"
)

// Baseline: encoding the finished payment block, which the wallet does
// anyway. The builders are reported as a ratio to it.
func BenchmarkBaselineMarshalPaymentRisk(b *testing.B) {
	r, err := ForPayment(fixedPayment())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkForPayment(b *testing.B) {
	in := fixedPayment()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ForPayment(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkForConsent(b *testing.B) {
	in := fixedConsent()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ForConsent(in); err != nil {
			b.Fatal(err)
		}
	}
}
