package xs2a

import (
	"net/http"
	"strings"

	"github.com/payterm/payterm/internal/httpsig"
)

// Op names one Berlin Group operation.
type Op string

const (
	OpInitiate             Op = "initiate payment"
	OpStartAuthorisation   Op = "start authorisation"
	OpUpdatePSUData        Op = "update PSU data"
	OpSCAStatus            Op = "get SCA status"
	OpTransactionStatus    Op = "get transaction status"
	OpGetPayment           Op = "get payment"
	OpCancel               Op = "cancel payment"
	OpListAuthorisations   Op = "list authorisations"
	OpEstablishSession     Op = "establish PSU session"
	OpStartCancellationSCA Op = "start cancellation authorisation"
	// The OAuth SCA approach's calls to the bank's authorization server (not XS2A, not
	// signed): its RFC 8414 metadata and the token endpoint (mTLS).
	OpOAuthMetadata Op = "fetch OAuth metadata"
	OpOAuthToken    Op = "exchange OAuth code"
)

// Reconcile says what the core may do when a side-effecting request's outcome is unknown.
type Reconcile string

const (
	// ReconcileNotNeeded: the request has no side effect (a GET); send it again freely.
	ReconcileNotNeeded Reconcile = "not-needed"
	// ReconcileAskUser: no idempotency key, no lookup (Berlin Group). Never re-send; tell the
	// user to check their bank, and read the status through links already held, if any.
	ReconcileAskUser Reconcile = "ask-user"
	// ReconcileResendRefused: the create carries allowLogicalDuplicate=false (SpareBank 1):
	// the same create again (BuildResend: the stored URL and body under a new X-Request-ID
	// and Date) either creates the payment (the first never arrived) or is refused as a
	// duplicate (it did: then ask the user). It never pays twice.
	ReconcileResendRefused Reconcile = "resend-refused-if-duplicate"
	// ReconcileReadState: an authorisation step (PUT) or a cancellation. Do not re-send: read
	// the scaStatus or transactionStatus link and continue from what it says.
	ReconcileReadState Reconcile = "read-state"
)

// Request is one fully built request: the core serialises it and fsyncs it before Send puts
// the first byte on the wire, and Send sends exactly these bytes.
//
// Header holds credentials when the call carries them (Authorization, TPP-Session-ID); Body
// holds a PSU credential when Sensitive is set (password, TAN, confirmation code). Persist
// Redacted() for those, and never re-send them: after a crash, read the state and ask the
// PSU again.
type Request struct {
	Op          Op
	Method      string
	URL         string // absolute
	Header      http.Header
	Body        []byte // exact bytes; nil for none
	RequestID   string // the X-Request-ID (UUIDv4)
	SideEffects bool
	Reconcile   Reconcile
	Sensitive   bool
	Signature   httpsig.Result // what was signed, for the inspector; zero for the OAuth calls

	expectScope string // OpOAuthToken: the scope the token must cover
}

// secretHeaders never leave the client in a redacted copy.
var secretHeaders = []string{"Authorization", "Tpp-Session-Id"}

// Redacted is a copy safe to store or show: secret headers and a sensitive body replaced.
// It cannot be sent: Send refuses it.
func (r *Request) Redacted() *Request {
	out := *r
	out.Header = redactHeaders(r.Header)
	if r.Sensitive {
		out.Body = []byte(redacted)
	}
	out.Signature.SigningString = redactSigningString(r.Signature.SigningString)
	return &out
}

func redactHeaders(h http.Header) http.Header {
	out := h.Clone()
	if out == nil {
		return http.Header{}
	}
	for _, k := range secretHeaders {
		if v := out.Get(k); v != "" {
			if scheme, _, ok := strings.Cut(v, " "); ok && k == "Authorization" {
				out.Set(k, scheme+" "+redacted)
			} else {
				out.Set(k, redacted)
			}
		}
	}
	return out
}

// redactSigningString hides the lines of secret headers (none of BG's signed headers is a
// secret today; this keeps it so if a profile ever signs one).
func redactSigningString(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		name, _, _ := strings.Cut(l, ": ")
		for _, k := range secretHeaders {
			if strings.EqualFold(name, k) {
				lines[i] = name + ": " + redacted
			}
		}
	}
	return strings.Join(lines, "\n")
}
