package xs2a

import (
	"fmt"
	"strings"
)

// SCAStatus is an authorisation's scaStatus in the Berlin Group's camelCase spelling.
type SCAStatus string

// The values of BG 1.3.9 (unconfirmed since 1.3.8). Final: finalised, failed, exempted.
const (
	SCAReceived         SCAStatus = "received"
	SCAPSUIdentified    SCAStatus = "psuIdentified"
	SCAPSUAuthenticated SCAStatus = "psuAuthenticated"
	SCAMethodSelected   SCAStatus = "scaMethodSelected"
	SCAStarted          SCAStatus = "started"
	SCAUnconfirmed      SCAStatus = "unconfirmed"
	SCAFinalised        SCAStatus = "finalised"
	SCAFailed           SCAStatus = "failed"
	SCAExempted         SCAStatus = "exempted"
)

var scaStatuses = func() map[string]SCAStatus {
	m := map[string]SCAStatus{}
	for _, s := range []SCAStatus{SCAReceived, SCAPSUIdentified, SCAPSUAuthenticated, SCAMethodSelected, SCAStarted, SCAUnconfirmed, SCAFinalised, SCAFailed, SCAExempted} {
		m[strings.ToLower(string(s))] = s
	}
	return m
}()

// ParseSCAStatus reads a scaStatus in any bank's spelling: BG's camelCase (psuIdentified),
// SpareBank 1's UPPER_SNAKE (PSU_IDENTIFIED), any case, underscores ignored. A value that is
// none of the nine is an error: it is never guessed at.
func ParseSCAStatus(s string) (SCAStatus, error) {
	if len(s) > 64 {
		return "", fmt.Errorf("scaStatus is %d characters long", len(s))
	}
	if v, ok := scaStatuses[strings.ToLower(strings.ReplaceAll(s, "_", ""))]; ok {
		return v, nil
	}
	return "", fmt.Errorf("scaStatus %q is not a Berlin Group value", clip(s))
}

// Final reports finalised, failed and exempted: polling the authorisation stops there.
func (s SCAStatus) Final() bool { return s == SCAFinalised || s == SCAFailed || s == SCAExempted }

// TransactionStatus is an ISO 20022 payment status code as BG uses it.
type TransactionStatus string

// The codes of BG 1.3.9 that a single payment can have.
const (
	TxReceived               TransactionStatus = "RCVD"
	TxPartiallyAccepted      TransactionStatus = "PATC" // multi-level SCA still open
	TxAcceptedTechnical      TransactionStatus = "ACTC"
	TxAcceptedCustomer       TransactionStatus = "ACCP"
	TxAcceptedFunds          TransactionStatus = "ACFC"
	TxAcceptedWithChange     TransactionStatus = "ACWC"
	TxPending                TransactionStatus = "PDNG"
	TxAcceptedSettlingNow    TransactionStatus = "ACSP"
	TxSettledDebtor          TransactionStatus = "ACSC"
	TxSettledCreditor        TransactionStatus = "ACCC"
	TxAcceptedWithoutPosting TransactionStatus = "ACWP"
	TxRejected               TransactionStatus = "RJCT"
	TxCancelled              TransactionStatus = "CANC"
)

// Normalised is the standard-neutral status the core stores next to the raw code
// (psd2-providers.md §7.4).
type Normalised string

const (
	AwaitingAuth Normalised = "AwaitingAuth"
	Authorised   Normalised = "Authorised"
	Processing   Normalised = "Processing"
	Executed     Normalised = "Executed"
	Settled      Normalised = "Settled"
	Rejected     Normalised = "Rejected"
	Cancelled    Normalised = "Cancelled"
)

var txStatuses = map[TransactionStatus]Normalised{
	TxReceived: AwaitingAuth, TxPartiallyAccepted: AwaitingAuth,
	TxAcceptedTechnical: Authorised, TxAcceptedCustomer: Authorised, TxAcceptedFunds: Authorised, TxAcceptedWithChange: Authorised,
	TxPending: Processing, TxAcceptedSettlingNow: Processing,
	TxSettledDebtor: Executed, TxAcceptedWithoutPosting: Executed,
	TxSettledCreditor: Settled,
	TxRejected:        Rejected,
	TxCancelled:       Cancelled,
}

// ParseTransactionStatus accepts exactly the codes above (upper case, as ISO 20022 and BG
// write them). PART, which BG defines for bulk payments only, and any other value are errors.
func ParseTransactionStatus(s string) (TransactionStatus, error) {
	if _, ok := txStatuses[TransactionStatus(s)]; ok {
		return TransactionStatus(s), nil
	}
	if s == "PART" {
		return "", fmt.Errorf("transactionStatus PART is for bulk payments, not a single payment")
	}
	return "", fmt.Errorf("transactionStatus %q is not an ISO 20022 code BG uses", clip(s))
}

// Normalised maps the code onto the core's statuses.
func (t TransactionStatus) Normalised() Normalised { return txStatuses[t] }

// Final reports a status after which the bank will not move the payment any more, so polling
// stops: executed (ACSC, ACWP), settled (ACCC), rejected, cancelled. BG banks often never go
// past ACSC; waiting for ACCC would poll forever.
func (t TransactionStatus) Final() bool {
	switch txStatuses[t] {
	case Executed, Settled, Rejected, Cancelled:
		return true
	}
	return false
}

// clip keeps a bank value short and printable inside our own error strings.
func clip(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= 40 {
			b.WriteString("…")
			break
		}
		if r < 0x20 || r > 0x7e {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}
