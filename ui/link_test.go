package ui_test

import (
	"testing"
	"time"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
)

func init() {
	ui.LinkFake(func(now func() time.Time, n int) ui.Wallet { return uifake.NewFakeWallet(now, n) }, uifake.FakeStep, uifake.FakeBGTerms())
}

// TestInternalFakeBaseIsUIFake: the internal tests' fixed instant is uifake's.
func TestInternalFakeBaseIsUIFake(t *testing.T) {
	if !ui.FakeBaseForTest().Equal(uifake.FakeBase) {
		t.Fatalf("internal tests' fakeBase %v, uifake.FakeBase %v", ui.FakeBaseForTest(), uifake.FakeBase)
	}
}
