package uifake

import (
	"fmt"
	"time"

	"github.com/payterm/payterm/ui"
)

// Bundles left waiting at the fake OP bank's page (a restart, or esc on the Bundle screen), as
// the core reports them: each payment's detail says its place in the bundle and how many of it
// still wait (ui.BundleMembership), Home counts the bundles still waiting, and approving one
// payment again (ApproveAgain) ends every waiting payment of its bundle the same way, as OP's
// one page does.

// AddWaitingBundle puts a bundle of n payments at the fake OP bank at the top of History, each
// awaiting the payer's approval, and returns their row ids, first payment first.
func (f *FakeWallet) AddWaitingBundle(n int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.bundle.waiting == nil {
		f.bundle.waiting = map[string][]string{}
	}
	f.bundle.seq++
	id := fmt.Sprintf("b%07d-0000-4000-8000-00000000000w", f.bundle.seq)
	ids := make([]string, n)
	rows := make([]ui.PaymentRow, n)
	for i := range n {
		ids[i] = fmt.Sprintf("opw%02d%04d", f.bundle.seq, i+1)
		p := bundlePayeeNames[i%len(bundlePayeeNames)]
		r := ui.PaymentRow{ID: ids[i], PaymentID: fmt.Sprintf("op-w%d-%d", f.bundle.seq, i+1), At: f.Now().Add(-time.Duration(n-i) * time.Minute),
			PayeeName: p, Amount: amt(int64(1250 + 500*i)), Currency: "EUR", Status: ui.PaymentAwaitingBankSCA, BankStatus: "Unauthorized",
			Reference: fmt.Sprintf("Bundle item %d", i+1), Bank: FakeOPBank.Name}
		rows[n-1-i] = r // newest first
		f.details[r.ID] = ui.PaymentDetail{Row: r, InteractionID: fmt.Sprintf("00000000-0000-4000-8000-0000000e%04d", i+1), ConsentID: fakeBGConsentID,
			Terms: FakeOPTerms(), Bundle: &ui.BundleMembership{Item: i + 1, Size: n},
			Timeline: []ui.StatusChange{{At: r.At, Status: ui.PaymentPrepared}, {At: r.At.Add(time.Second), Status: ui.PaymentAwaitingBankSCA, BankStatus: "Unauthorized"}}}
	}
	f.bundle.waiting[id] = ids
	f.rows = append(rows, f.rows...)
	for i, r := range f.rows {
		f.index[r.ID] = i
	}
	for _, r := range rows {
		f.publish(ui.Change{Kind: ui.PaymentChanged, ID: r.ID})
	}
	return ids
}

// bundlePayeeNames are the waiting bundles' payees (obviously fake names).
var bundlePayeeNames = []string{"Kahvila Oy", "Asunto Oy", "Kirjasto"}

// bundleOf finds the waiting bundle of row id; the caller holds f.mu.
func (f *FakeWallet) bundleOf(id string) (string, []string) {
	for b, ids := range f.bundle.waiting {
		for _, x := range ids {
			if x == id {
				return b, ids
			}
		}
	}
	return "", nil
}

// rowAwaits reports whether row id still awaits the bank's approval; the caller holds f.mu.
func (f *FakeWallet) rowAwaits(id string) bool {
	i, ok := f.index[id]
	return ok && f.rows[i].Status == ui.PaymentAwaitingBankSCA
}

// withBundle is d with its bundle's count of waiting payments as of now; the caller holds f.mu.
func (f *FakeWallet) withBundle(d ui.PaymentDetail) ui.PaymentDetail {
	_, ids := f.bundleOf(d.Row.ID)
	if ids == nil {
		return d
	}
	m := ui.BundleMembership{Size: len(ids)}
	for i, x := range ids {
		if x == d.Row.ID {
			m.Item = i + 1
		}
		if f.rowAwaits(x) {
			m.Awaiting++
		}
	}
	d.Bundle = &m
	return d
}

// bundlesOverview counts the waiting bundles for Home; the caller holds f.mu.
func (f *FakeWallet) bundlesOverview(ov *ui.Overview) {
	n := 0
	for _, ids := range f.bundle.waiting {
		for _, x := range ids {
			if f.rowAwaits(x) {
				n++
				break
			}
		}
	}
	if n > 0 {
		ov.BundlesAwaiting = []ui.BundlesWaiting{{Bank: FakeOPBank.Name, Count: n}}
	}
}

// endBundleWith ends every other waiting payment of id's bundle as id ended (OP's one page
// approved or declined them together), after ApproveAgain of id.
func (f *FakeWallet) endBundleWith(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ids := f.bundleOf(id)
	i, ok := f.index[id]
	if ids == nil || !ok {
		return
	}
	end := f.rows[i]
	for _, x := range ids {
		j, ok := f.index[x]
		if !ok || x == id || f.rows[j].Status != ui.PaymentAwaitingBankSCA {
			continue
		}
		f.rows[j].Status, f.rows[j].BankStatus = end.Status, end.BankStatus
		d := f.details[x]
		d.Row.Status, d.Row.BankStatus, d.Reason = end.Status, end.BankStatus, f.details[id].Reason
		f.details[x] = d
		f.publish(ui.Change{Kind: ui.PaymentChanged, ID: x})
	}
	// bgFinal wrote id's detail afresh: it keeps its bank and place in the bundle.
	d := f.details[id]
	d.Row.Bank, d.Terms = FakeOPBank.Name, FakeOPTerms()
	f.details[id] = d
}
