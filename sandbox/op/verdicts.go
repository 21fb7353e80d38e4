package op

import "time"

// Rule numbers: README.md lists each rule with its answer; rules_test.go has a negative test
// for each.
const (
	RuleMTLS           = 1  // the registered client certificate is presented
	RuleClientAuth     = 2  // token endpoint: client_id and client_secret
	RuleGrant          = 3  // token endpoint: a known grant_type with its fields
	RuleAPIKey         = 4  // API: x-api-key is the registered key
	RuleBearer         = 5  // API: a live token of the kind the call needs
	RuleIdempotencyKey = 6  // create: x-idempotency-key present, 1..64 printable
	RuleJWSForm        = 7  // create: x-jws-signature present as header..signature
	RuleJWSHeader      = 8  // alg ES256/RS256, kid in the registered JWKS, no crit/b64
	RuleJWSVerifies    = 9  // the detached JWS verifies over the raw body
	RuleBody           = 10 // JSON object, known fields, types, required payee
	RuleEuroCents      = 11 // amountEUR: positive, 0 or 2 decimals
	RuleIBAN           = 12 // payee.iban a valid IBAN (mod 97), no spaces; payer.iban Finnish
	RuleTexts          = 13 // payee.name 1..70; message ≤ 140; not both message and reference
	RuleBundle         = 14 // authorizationId names a bundle still open (Unauthorized)
	RuleDuplicate      = 15 // an idempotency key reused with another body or after the payment moved on
	RuleRequestQuery   = 16 // authorize: request, response_type, client_id, scope once, equal to the JWT's
	RuleRequestSig     = 17 // authorize: the request object verifies against the client's JWKS, typ JWT
	RuleRequestClaims  = 18 // iss, aud, redirect_uri, scope, state, nonce, iat/exp, max_age, acr, authorizationId
	RuleCode           = 19 // code: known, unused, unexpired, same redirect_uri
	RuleRefresh        = 20 // refresh token: known and within 45 days of the SCA
	RuleSubmitToken    = 21 // submit: the payer's token for the payment's authorization
	RuleAuthorized     = 22 // submit: the payment is Authorized (or Completed and under count)
	RuleSubmitCount    = 23 // at most count distinct submissions
	RuleSubmitBody     = 24 // submit: no body; submissionId 1..64 printable
	RuleScenario       = 25 // x-sandbox-scenario one the sandbox knows
	RuleExists         = 26 // the payment, authorization or submission exists
	RuleExemptCreate   = 27 // exemption create (payer's token): no authorizationId, count 1
	RuleAssertion      = 28 // jwt-bearer: the exemption JWT (response_type token, scope payments, acr ca, one exemption payment)
	RuleExemptLimits   = 29 // < 30 EUR, < 5 payments and < 100 EUR since the last SCA (other channels count)
	RuleBundleMix      = 30 // a SEPA payment's authorizationId names no bundle holding a foreign payment
	RuleForeignAmount  = 31 // foreign: amount positive with at most 2 decimals, a currency the bank sends
	RuleForeignAccount = 32 // foreign: payee account IBAN (mod 97) or BBAN, issuer a BIC, payer.iban Finnish
	RuleForeignBank    = 33 // foreign: a BIC, a clearing system id (not with a BIC) or the bank's address
	RuleForeignAddress = 34 // foreign: payee country ISO 3166, lines 1..35 not blank; EU/EEA needs IBAN and BIC
	RuleForeignTexts   = 35 // foreign: payee.name 1..70, message 1..140, SHA|OUR, NORM|HIGH, count 1
	RuleExemptPayer    = 36 // exemption: a payer.iban named is one of the payer's own accounts
)

var ruleNames = map[int]string{
	RuleMTLS: "mtls-client-certificate", RuleClientAuth: "client-auth", RuleGrant: "grant", RuleAPIKey: "x-api-key", RuleBearer: "bearer-token",
	RuleIdempotencyKey: "x-idempotency-key", RuleJWSForm: "x-jws-signature-form", RuleJWSHeader: "jws-header", RuleJWSVerifies: "jws-verifies",
	RuleBody: "body", RuleEuroCents: "EuroCents", RuleIBAN: "iban", RuleTexts: "texts", RuleBundle: "bundle-open", RuleDuplicate: "DuplicatePayment",
	RuleRequestQuery: "request-object-query", RuleRequestSig: "request-object-signature", RuleRequestClaims: "request-object-claims",
	RuleCode: "authorization-code", RuleRefresh: "refresh-token", RuleSubmitToken: "submit-token", RuleAuthorized: "payment-authorized",
	RuleSubmitCount: "submission-count", RuleSubmitBody: "submission-form", RuleScenario: "sandbox-scenario", RuleExists: "exists",
	RuleExemptCreate: "exemption-create", RuleAssertion: "exemption-assertion", RuleExemptLimits: "exemption-limits",
	RuleBundleMix: "bundle-no-foreign", RuleForeignAmount: "foreign-amount", RuleForeignAccount: "foreign-account",
	RuleForeignBank: "CreditorBicOrAddress", RuleForeignAddress: "foreign-address", RuleForeignTexts: "foreign-texts",
	RuleExemptPayer: "exemption-payer-account",
}

// Check is one rule evaluated for one request.
type Check struct {
	Rule   int    `json:"rule"`
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail,omitempty"` // never a header value, secret or personal data
}

// Verdict is the bank's account of one request.
type Verdict struct {
	InteractionID string    `json:"interaction_id,omitempty"`
	Time          time.Time `json:"time"`
	Endpoint      string    `json:"endpoint"`
	Status        int       `json:"status"`
	Checks        []Check   `json:"checks"`
}

// Failed is the first failed check (nil when every check passed).
func (v Verdict) Failed() *Check {
	for i := range v.Checks {
		if !v.Checks[i].Passed {
			return &v.Checks[i]
		}
	}
	return nil
}

func (v *Verdict) pass(rule int) {
	v.Checks = append(v.Checks, Check{Rule: rule, Name: ruleNames[rule], Passed: true})
}

func (v *Verdict) fail(rule int, detail string) {
	v.Checks = append(v.Checks, Check{Rule: rule, Name: ruleNames[rule], Detail: detail})
}

func (b *Bank) record(v Verdict) {
	b.mu.Lock()
	b.verdicts = append(b.verdicts, v)
	if len(b.verdicts) > maxVerdicts {
		b.verdicts = b.verdicts[len(b.verdicts)-maxVerdicts:]
	}
	b.mu.Unlock()
}

// Verdicts returns the verdicts kept, oldest first.
func (b *Bank) Verdicts() []Verdict {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Verdict(nil), b.verdicts...)
}

// PaymentDebits is how many times a payment's money left the payer (0 for an unknown one).
func (b *Bank) PaymentDebits(paymentID string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p := b.st.Payments[paymentID]; p != nil {
		return p.Debited
	}
	return 0
}

// Payments is how many payments the bank holds.
func (b *Bank) Payments() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.st.Payments)
}
