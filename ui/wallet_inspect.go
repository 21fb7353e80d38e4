package ui

// The protocol trace the inspector shows (InspectorService).

// Inspection is the protocol trace for the inspector.
type Inspection struct {
	// ShowPII is true only on the embedded sandbox: the UI masks PII fields otherwise.
	ShowPII bool
	// Standard and Signing name, in words, the standard of the bank the trace is at and how its
	// requests are signed ("Berlin Group NextGenPSD2", "HTTP signature (draft-cavage
	// rsa-sha256)"); both "" for a UAE trace (whose steps say it).
	Standard, Signing string
	// Banks are the wallet's banks with their terms, listed side by side under the message
	// when they speak more than one standard (as on Home).
	Banks    []BankOption
	Steps    []SequenceStep
	Verdicts []Verdict
	// ConsentID and InteractionIDs go into the support bundle.
	ConsentID string
}

// SequenceStep is one box of the delegated-SCA sequence diagram.
type SequenceStep struct {
	Name     string // "PAR", "Authorize", "Callback", "Token", "SCA", "POST /payments", ...
	State    SequenceState
	Exchange *Exchange // nil when the step has no HTTP message (e.g. local SCA)
}

// SequenceState marks where the flow is.
type SequenceState int

// Sequence states.
const (
	SeqPending SequenceState = iota
	SeqCurrent
	SeqDone
	SeqFailed
)

// Exchange is one HTTP request/response with decoded JOSE parts.
type Exchange struct {
	// Bank names the bank the message went to when the wallet has several ("" with one).
	Bank          string
	Request       string // "POST /par HTTP/1.1"
	Response      string // "HTTP/1.1 201 Created"
	InteractionID string
	// IDName is the header InteractionID came in ("" = x-fapi-interaction-id; Berlin Group's
	// is X-Request-ID).
	IDName    string
	Headers   []Field
	JWTHeader []Field
	JWTClaims []Field
	JWEHeader []Field
	// Signature is an HTTP signature's parts (Berlin Group): scheme, keyId, algorithm, the
	// signed headers, the Digest, and the signing string line by line.
	Signature []Field
	// Body and ResponseBody are the JSON bodies flattened (standards that send them in clear).
	Body, ResponseBody []Field
	// Sealed is the plaintext of the personal data sent encrypted to the bank (the JWE payload
	// of POST /payments: creditor name and account, ...). Its fields are PII: the inspector shows
	// their values only on the embedded sandbox.
	Sealed []Field
	Checks []Check
}

// Field is one name/value with its sensitivity. Secret values are never shown; PII values are
// shown only when Inspection.ShowPII.
type Field struct {
	Name   string
	Value  string
	Secret bool
	PII    bool
}

// Check is one verification result ("signature PS256 kid=…", "aud matches").
type Check struct {
	Name   string
	OK     bool
	Detail string
}

// Verdict is what the sandbox bank checked and decided (sandbox only).
type Verdict struct {
	Rule   string
	Passed bool
	Detail string
}
