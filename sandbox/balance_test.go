package sandbox

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestZeroBalanceIsExpressible: BalanceFils 0 is the default balance unless BalanceFilsSet
// says it is meant literally; a bank started at 0.00 rejects any payment for funds.
func TestZeroBalanceIsExpressible(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want int64
	}{
		{"unset means the default", Config{}, DefaultBalanceFils},
		{"0 with BalanceFilsSet is 0.00", Config{BalanceFilsSet: true}, 0},
		{"a value is a value either way", Config{BalanceFils: 12_34}, 12_34},
		{"a value with the flag", Config{BalanceFils: 12_34, BalanceFilsSet: true}, 12_34},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := b.BalanceFils(); got != tc.want {
				t.Fatalf("balance %d fils, want %d", got, tc.want)
			}
		})
	}
	if _, err := New(Config{BalanceFils: -1, BalanceFilsSet: true}); err == nil {
		t.Fatal("a negative balance was accepted")
	}

	b := newBank(t, func(cfg *Config) { cfg.BalanceFilsSet = true })
	c := newTPP(t, b)
	cons := c.authorizedConsent(consentPII())
	r := c.pay(cons.access, uuid.NewString(), c.paymentClaims(cons.id, "0.01", paymentPII(c, creditor(testIBAN, "A"))))
	if r.Status != http.StatusCreated {
		t.Fatalf("payment: %d %s", r.Status, r.errorCode())
	}
	b.AdvanceClock(3 * time.Second)
	d := c.rs(http.MethodGet, "/payments/"+r.data()["PaymentId"].(string), c.clientCredentials(), nil, "").data()
	rr, _ := d["RejectReasonCode"].([]any)
	if d["Status"] != "Rejected" || len(rr) != 1 || rr[0].(map[string]any)["Code"] != "AANI.AM04" {
		t.Fatalf("0.01 from a 0.00 balance: %v", d)
	}
}
