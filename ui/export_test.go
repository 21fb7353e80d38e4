package ui

import (
	"time"

	"github.com/payterm/payterm/money"
)

// ExplainForTest exposes explain (the words every screen shows for an error) to ui_test.
func ExplainForTest(err error) string { return explain(err) }

// Internal tests (package ui) cannot import ui/uifake, which imports ui: link_test.go (package
// ui_test, whose init runs before any test of the binary) hands them the very same fake here.
var (
	newFakeWallet func(now func() time.Time, n int) Wallet
	fakeStep      BankStep
	fakeBGTerms   PayTerms
)

// LinkFake is called by link_test.go with uifake's constructor, first bank step and Berlin Group terms.
func LinkFake(newWallet func(now func() time.Time, n int) Wallet, step BankStep, bgTerms PayTerms) {
	newFakeWallet, fakeStep, fakeBGTerms = newWallet, step, bgTerms
}

// fakeBase is uifake.fakeBase (link_test.go checks they agree); amt is its amount helper.
var fakeBase = time.Date(2030, 1, 15, 9, 30, 0, 0, time.UTC)

func amt(minor int64) money.Amount {
	a, err := money.FromMinor(minor)
	if err != nil {
		panic(err) // test fixture constants only
	}
	return a
}

// FakeBaseForTest is fakeBase, for link_test.go's check.
func FakeBaseForTest() time.Time { return fakeBase }
