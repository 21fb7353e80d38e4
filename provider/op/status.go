package op

import (
	"time"
	_ "time/tzdata" // Europe/Helsinki on machines without a zone database

	"github.com/payterm/payterm/provider"
)

// authStatuses are OP's AuthorizationStatus words (a payment's and a bundle's status) and
// how payterm reads them.
var authStatuses = map[string]statusRule{
	"Unauthorized":     {provider.StatusAwaitingBankSCA, false, ""},
	"Authorizing":      {provider.StatusAwaitingBankSCA, false, ""},
	"Authorized":       {provider.StatusAuthorised, false, ""},
	"Rejected":         {provider.StatusRejected, true, "you rejected the payment at OP"},
	"Completed":        {provider.StatusProcessing, false, ""},
	"PartiallyRevoked": {provider.StatusCancelled, true, "the payment was revoked before it was submitted"},
	"Revoked":          {provider.StatusCancelled, true, "the payment was revoked before it was submitted"},
}

// submissionStatuses are OP's SubmissionStatusEnum words. Accepted may still be rejected
// later; Pending may be submitted again with the same submissionId until midnight
// Europe/Helsinki; Error may be submitted again later.
var submissionStatuses = map[string]statusRule{
	"Accepted":  {provider.StatusProcessing, false, ""},
	"Pending":   {provider.StatusProcessing, false, "OP did not debit it yet (a technical hold); payterm submits it again until midnight in Helsinki"},
	"Error":     {provider.StatusProcessing, false, "OP could not execute it now (for example not enough money); it may be submitted again later"},
	"Submitted": {provider.StatusExecuted, true, ""},
	"Credited":  {provider.StatusSettled, true, ""},
	"Rejected":  {provider.StatusRejected, true, "OP cannot process the payment; nothing was debited"},
}

type statusRule struct {
	status provider.Status
	final  bool
	reason string
}

func stateOf(table map[string]statusRule, word, ref string) provider.State {
	r := table[word]
	st := provider.State{BankRef: ref, Status: r.status, BankStatus: word, Final: r.final}
	if r.reason != "" {
		st.RejectCode, st.RejectMessage = word, r.reason
	}
	return st
}

var helsinki = mustZone("Europe/Helsinki")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // time/tzdata is linked in: cannot happen
	}
	return l
}

// PendingDeadline is when a Pending submission made at t stops being re-submittable with
// the same submissionId: the next midnight in Europe/Helsinki.
func PendingDeadline(t time.Time) time.Time {
	h := t.In(helsinki)
	return time.Date(h.Year(), h.Month(), h.Day()+1, 0, 0, 0, 0, helsinki)
}
