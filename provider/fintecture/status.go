package fintecture

import "github.com/payterm/payterm/provider"

// sessionStatus is how payterm reads one of Fintecture's session statuses (psd2-providers.md
// §4.4 and §7.4): the normalised status, whether it is final, and the reason in words when the
// payment did not happen.
type sessionStatus struct {
	status provider.Status
	final  bool
	reason string
}

// statuses are the words of §4.4 for an Immediate Transfer. payment_unsuccessful and
// payment_expired are "final or intermediate, depending on the shop's setup": an Immediate
// Transfer has no second attempt in the same session, so payterm treats them as final, and
// polling stops. payment_error is a technical failure Fintecture may still recover from:
// not final. The BNPL and payout words (order_created, iban_required, iban_received) are not
// listed: a session payterm opened never reaches them, and one that does is refused.
var statuses = map[string]sessionStatus{
	"payment_created":      {provider.StatusExecuted, true, ""},
	"payment_cancelled":    {provider.StatusCancelled, true, "the payment was cancelled"},
	"payment_unsuccessful": {provider.StatusRejected, true, "the payer or the bank rejected the payment"},
	"payment_expired":      {provider.StatusCancelled, true, "the payment session expired before the payer finished it"},
	"payment_pending":      {provider.StatusProcessing, false, ""},
	"payment_error":        {provider.StatusProcessing, false, ""},
	"payment_unknown":      {provider.StatusProcessing, false, ""},
	"payment_partial":      {provider.StatusProcessing, false, ""},
	"session_initiated":    {provider.StatusProcessing, false, ""},
	"sca_required":         {provider.StatusAwaitingBankSCA, false, ""},
	"provider_required":    {provider.StatusAwaitingBankSCA, false, ""},
	"payment_waiting":      {provider.StatusAwaitingBankSCA, false, ""},
}

// stateOf maps a status word onto the core's State, keeping the word as BankStatus. ok is
// false for a word not in §4.4 (the decoders refuse those before this is reached).
func stateOf(word, sessionID string) (provider.State, bool) {
	s, ok := statuses[word]
	if !ok {
		return provider.State{}, false
	}
	st := provider.State{BankRef: sessionID, Status: s.status, BankStatus: word, Final: s.final}
	if s.reason != "" {
		st.RejectCode, st.RejectMessage = word, s.reason
	}
	return st, true
}
