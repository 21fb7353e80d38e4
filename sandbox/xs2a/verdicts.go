package xs2a

import (
	"sync"
	"time"
)

// Rule numbers (README.md "Rules" lists each with its answer).
const (
	RuleQWAC               = 1
	RuleRequestID          = 2
	RuleRequestIDReplay    = 3
	RuleSignaturePresent   = 4
	RuleDigestIffSignature = 5
	RuleDigestMatches      = 6
	RuleDatePresent        = 7
	RuleDateSkew           = 8
	RuleSigCertPresent     = 9
	RuleSigCertValid       = 10
	RuleSigCertSameTPP     = 11
	RuleSignatureParses    = 12
	RuleKeyID              = 13
	RuleAlgorithm          = 14
	RuleSignedHeaders      = 15
	RuleNoExtraHeaders     = 16
	RuleSignatureVerifies  = 17
	RulePSUIPAddress       = 18
	RuleServiceProduct     = 19
	RuleBodyJSON           = 20
	RuleAmount             = 21
	RuleAccounts           = 22
	RuleTexts              = 23
	RuleRedirectURI        = 24
	RulePSUSession         = 25
	RuleLogicalDuplicate   = 26
	RuleResourceOwner      = 27
	RuleAuthUpdate         = 28
	RuleCredentials        = 29
	RuleSCAMethod          = 30
	RuleSCATimeout         = 31
	RuleCancellation       = 32
	RuleConfirmation       = 33
	RuleOAuthAuthorize     = 34
	RuleOAuthToken         = 35
	RuleQuery              = 36
	RuleBearerToken        = 37
)

// Check is one rule the bank evaluated for a request.
type Check struct {
	Rule   int    `json:"rule"`
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail,omitempty"` // never PII, secrets or header values
}

// SignatureReport is what the bank rebuilt when it checked a signature, so an inspector can
// set it beside what the client signed.
type SignatureReport struct {
	KeyID     string   `json:"key_id,omitempty"`
	Algorithm string   `json:"algorithm,omitempty"`
	Headers   []string `json:"headers,omitempty"`
	Wrapped   bool     `json:"rfc2047_wrapped,omitempty"`
	// SigningString is the string the bank verified, with the values of psu-id and
	// psu-corporate-id replaced by "[redacted]" (they identify a person);
	// SigningStringSHA256 is the hex SHA-256 of the exact string, to compare with the client's.
	SigningString       string `json:"signing_string,omitempty"`
	SigningStringSHA256 string `json:"signing_string_sha256,omitempty"`
	// ReceivedDigest is the Digest header; ComputedDigest what the bank computed over the body.
	ReceivedDigest string `json:"received_digest,omitempty"`
	ComputedDigest string `json:"computed_digest,omitempty"`
	// ExpectedKeyID is the keyId the bank expected for the certificate sent.
	ExpectedKeyID string `json:"expected_key_id,omitempty"`
}

// Verdict is the bank's account of one request, keyed by its X-Request-ID.
type Verdict struct {
	RequestID string           `json:"request_id"`
	Time      time.Time        `json:"time"`
	Host      string           `json:"host"` // api, browser
	Method    string           `json:"method"`
	Path      string           `json:"path"`
	TPPID     string           `json:"tpp_id,omitempty"`
	Status    int              `json:"status"`
	Code      string           `json:"code,omitempty"` // the error code answered, if any
	Checks    []Check          `json:"checks"`
	Signature *SignatureReport `json:"signature,omitempty"`
}

// Failed reports whether any check failed.
func (v Verdict) Failed() bool {
	for _, c := range v.Checks {
		if !c.Passed {
			return true
		}
	}
	return false
}

// FailedRule is the first failed rule (0 when none failed).
func (v Verdict) FailedRule() int {
	for _, c := range v.Checks {
		if !c.Passed {
			return c.Rule
		}
	}
	return 0
}

type verdictFeed struct {
	mu     sync.Mutex
	ring   []Verdict
	max    int
	subs   map[int]chan Verdict
	nextID int
}

func newVerdictFeed(max int) *verdictFeed {
	return &verdictFeed{max: max, subs: map[int]chan Verdict{}}
}

func (f *verdictFeed) publish(v Verdict) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ring = append(f.ring, v)
	if len(f.ring) > f.max {
		f.ring = append([]Verdict(nil), f.ring[len(f.ring)-f.max:]...)
	}
	for _, ch := range f.subs {
		select { // a slow subscriber loses verdicts rather than stalling the bank
		case ch <- v:
		default:
		}
	}
}

// RecentVerdicts returns up to n of the latest verdicts, oldest first (n ≤ 0: all kept).
func (b *Bank) RecentVerdicts(n int) []Verdict {
	f := b.verdicts
	f.mu.Lock()
	defer f.mu.Unlock()
	if n <= 0 || n > len(f.ring) {
		n = len(f.ring)
	}
	return append([]Verdict(nil), f.ring[len(f.ring)-n:]...)
}

// VerdictFor returns the latest verdict for an X-Request-ID.
func (b *Bank) VerdictFor(requestID string) (Verdict, bool) {
	f := b.verdicts
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.ring) - 1; i >= 0; i-- {
		if f.ring[i].RequestID == requestID {
			return f.ring[i], true
		}
	}
	return Verdict{}, false
}

// SubscribeVerdicts streams new verdicts (buffered; dropped when the reader lags) until cancel.
func (b *Bank) SubscribeVerdicts(buffer int) (<-chan Verdict, func()) {
	f := b.verdicts
	ch := make(chan Verdict, max(buffer, 1))
	f.mu.Lock()
	id := f.nextID
	f.nextID++
	f.subs[id] = ch
	f.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			f.mu.Lock()
			delete(f.subs, id)
			f.mu.Unlock()
			close(ch)
		})
	}
}
