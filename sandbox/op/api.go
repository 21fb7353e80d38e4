package op

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/payterm/payterm/sandbox/internal/hangup"
	"github.com/payterm/payterm/sandbox/op/ojws"
)

// exchange is one request being judged.
type exchange struct {
	b *Bank
	w http.ResponseWriter
	r *http.Request
	v Verdict
}

func (b *Bank) begin(w http.ResponseWriter, r *http.Request, endpoint string) *exchange {
	id := r.Header.Get("x-fapi-interaction-id")
	if len(id) > 64 {
		id = ""
	}
	return &exchange{b: b, w: w, r: r, v: Verdict{InteractionID: id, Time: b.cfg.Clock(), Endpoint: endpoint}}
}

// apiError is OP's error body: the generic ApiError, or a violation in a wrapper.
type apiError struct {
	Type       string      `json:"type"`
	Message    string      `json:"message"`
	ID         string      `json:"id"`
	Violations []violation `json:"violations,omitempty"`
}

type violation struct {
	Type    string `json:"type"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

// refuse fails rule and answers status with OP's error form (signed, as every answer).
func (e *exchange) refuse(status, rule int, typ, msg string) {
	e.v.fail(rule, msg)
	body := apiError{Type: typ, Message: msg, ID: e.b.randomID()}
	switch typ {
	case "SECURITY", "VALIDATION", "TECHNICAL", "BUSINESS":
	default:
		body = apiError{Type: "VALIDATION", Message: msg, ID: body.ID, Violations: []violation{{Type: typ, Message: msg}}}
	}
	e.answer(status, body)
}

// answer writes obj as JSON with its detached signature and records the verdict.
func (e *exchange) answer(status int, obj any) {
	raw, _ := json.Marshal(obj)
	sig, err := e.b.signer.Detached(raw)
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	e.v.Status = status
	e.b.record(e.v)
	e.b.mu.Lock()
	drop := e.b.dropNext > 0 && strings.HasPrefix(e.r.URL.Path, "/payments-psd2/")
	if drop {
		e.b.dropNext--
	} else if e.b.dropSubmit > 0 && e.r.Method == http.MethodPut {
		drop = true
		e.b.dropSubmit--
	}
	e.b.mu.Unlock()
	if drop {
		hangup.Drop(e.w)
		return
	}
	e.w.Header().Set("Content-Type", "application/json")
	e.w.Header().Set("x-jws-signature", sig)
	if id := e.v.InteractionID; id != "" {
		e.w.Header().Set("x-fapi-interaction-id", id)
	}
	e.w.WriteHeader(status)
	e.w.Write(raw)
}

// mtls checks the pinned client certificate.
func (e *exchange) mtls() bool {
	if e.r.TLS == nil || len(e.r.TLS.PeerCertificates) == 0 {
		e.refuse(http.StatusUnauthorized, RuleMTLS, "SECURITY", "no client certificate: OP's API is mTLS only")
		return false
	}
	pin := sha256.Sum256(e.r.TLS.PeerCertificates[0].Raw)
	if subtle.ConstantTimeCompare(pin[:], e.b.certPin[:]) != 1 {
		e.refuse(http.StatusUnauthorized, RuleMTLS, "SECURITY", "the client certificate is not the registered one")
		return false
	}
	e.v.pass(RuleMTLS)
	return true
}

// api checks mTLS, x-api-key and a live bearer token of one of kinds; it returns the token.
func (e *exchange) api(kinds ...string) *token {
	if !e.mtls() {
		return nil
	}
	if subtle.ConstantTimeCompare([]byte(e.r.Header.Get("x-api-key")), []byte(e.b.cfg.APIKey)) != 1 || len(e.r.Header.Values("x-api-key")) != 1 {
		e.refuse(http.StatusUnauthorized, RuleAPIKey, "SECURITY", "x-api-key missing or not the registered key")
		return nil
	}
	e.v.pass(RuleAPIKey)
	auth := e.r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	e.b.mu.Lock()
	t := e.b.tokens[tok]
	if t == nil && ok && tok != "" {
		t = e.b.st.UserTokens[hashToken(tok)] // issued before a restart
	}
	e.b.mu.Unlock()
	if !ok || t == nil || !e.b.cfg.Clock().Before(t.Exp) {
		e.refuse(http.StatusUnauthorized, RuleBearer, "SECURITY", "no live access token")
		return nil
	}
	for _, k := range kinds {
		if t.Kind == k {
			e.v.pass(RuleBearer)
			return t
		}
	}
	e.refuse(http.StatusForbidden, RuleBearer, "SECURITY", "this call needs a "+strings.Join(kinds, " or ")+" token")
	return nil
}

// readBody reads at most maxBody bytes.
func (e *exchange) readBody() ([]byte, bool) {
	raw, err := io.ReadAll(io.LimitReader(e.r.Body, maxBody+1))
	if err != nil || len(raw) > maxBody {
		e.refuse(http.StatusBadRequest, RuleBody, "Size", "the body is unreadable or longer than 64 KiB")
		return nil, false
	}
	return raw, true
}

func printable(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// paymentRequest is the body the bank takes; any other field is UnrecognizedProperty.
type paymentRequest struct {
	AmountEUR *string `json:"amountEUR"`
	Payee     *struct {
		IBAN    *string  `json:"iban"`
		Name    *string  `json:"name"`
		Address []string `json:"address"`
		Country string   `json:"country"`
	} `json:"payee"`
	Payer *struct {
		IBAN *string `json:"iban"`
	} `json:"payer"`
	Message         *string `json:"message"`
	Reference       *string `json:"reference"`
	AuthorizationID *string `json:"authorizationId"`
	Count           *int    `json:"count"`
}

// paymentView is SepaPaymentDetails as answered.
type paymentView struct {
	PaymentID        string            `json:"paymentId"`
	AuthorizationID  string            `json:"authorizationId"`
	Status           string            `json:"status"`
	Created          string            `json:"created"`
	Modified         string            `json:"modified"`
	DetailsOfCharges string            `json:"detailsOfCharges"`
	PaymentOrder     string            `json:"paymentOrder"`
	Count            int               `json:"count"`
	Payer            map[string]string `json:"payer,omitempty"`
	Message          string            `json:"message,omitempty"`
	Reference        string            `json:"reference,omitempty"`
	PaymentType      string            `json:"paymentType"`
	Payee            map[string]string `json:"payee"`
	AmountEUR        string            `json:"amountEUR"`
}

// view is the payment as answered: SepaPaymentDetails, or ForeignPaymentDetails.
func view(p *Payment) any {
	if p.Foreign != nil {
		return foreignView(p)
	}
	return sepaView(p)
}

func sepaView(p *Payment) paymentView {
	v := paymentView{PaymentID: p.ID, AuthorizationID: p.AuthID, Status: p.Status, Created: p.Created.Format(time.RFC3339Nano),
		Modified: p.Modified.Format(time.RFC3339Nano), DetailsOfCharges: "SHA", PaymentOrder: "SEPA", Count: p.Count,
		Message: p.Message, Reference: p.Reference, PaymentType: "SepaPayment",
		Payee: map[string]string{"name": p.PayeeName, "iban": p.PayeeIBAN}, AmountEUR: p.AmountEUR}
	if p.PayerIBAN != "" {
		v.Payer = map[string]string{"iban": p.PayerIBAN}
	}
	return v
}

func (b *Bank) createPayment(w http.ResponseWriter, r *http.Request) { b.create(w, r, false) }

// create takes a new payment: the headers and the detached JWS (rules 4–9) are the same for
// both products; the bodies differ (sepaBody, foreignBody).
func (b *Bank) create(w http.ResponseWriter, r *http.Request, foreign bool) {
	endpoint := "POST /sepa-payments"
	if foreign {
		endpoint = "POST /foreign-payments"
	}
	e := b.begin(w, r, endpoint)
	tok := e.api("client", "user")
	if tok == nil {
		return
	}
	key := r.Header.Get("x-idempotency-key")
	if len(r.Header.Values("x-idempotency-key")) != 1 || !printable(key, 64) {
		e.refuse(http.StatusBadRequest, RuleIdempotencyKey, "Required", "x-idempotency-key must be given once, 1..64 printable characters")
		return
	}
	e.v.pass(RuleIdempotencyKey)
	raw, ok := e.readBody()
	if !ok {
		return
	}
	sig := r.Header.Get("x-jws-signature")
	if len(r.Header.Values("x-jws-signature")) != 1 {
		e.refuse(http.StatusBadRequest, RuleJWSForm, "SECURITY", "x-jws-signature must be given once")
		return
	}
	if _, _, ok := ojws.DetachedParts(sig); !ok {
		e.refuse(http.StatusBadRequest, RuleJWSForm, "SECURITY", "x-jws-signature must be a detached JWS: header..signature")
		return
	}
	e.v.pass(RuleJWSForm)
	if _, err := ojws.VerifyDetached(sig, raw, b.clientKeys); err != nil {
		rule := RuleJWSVerifies
		if err.Error() != "jws: signature does not verify" {
			rule = RuleJWSHeader
		} else {
			e.v.pass(RuleJWSHeader)
		}
		e.refuse(http.StatusBadRequest, rule, "SECURITY", "x-jws-signature: "+err.Error())
		return
	}
	e.v.pass(RuleJWSHeader)
	e.v.pass(RuleJWSVerifies)
	var (
		p      *Payment
		authID *string
	)
	if foreign {
		p, ok = e.foreignBody(raw, tok)
	} else {
		p, authID, ok = e.sepaBody(raw, tok)
	}
	if !ok {
		return
	}
	sum := sha256.Sum256(raw)
	bodyHash := hex.EncodeToString(sum[:])
	now := b.cfg.Clock()

	type outcome struct {
		status, rule int
		typ, msg     string
		view         any
	}
	res := func() outcome {
		b.mu.Lock()
		defer b.mu.Unlock()
		if pid, seen := b.st.Keys[key]; seen {
			p := b.st.Payments[pid]
			if p != nil && p.BodyHash == bodyHash && p.Status == "Unauthorized" {
				// The same request again while the payment is still in its first
				// state: the original payment, nothing new.
				return outcome{status: http.StatusCreated, view: view(p)}
			}
			return outcome{http.StatusConflict, RuleDuplicate, "DuplicatePayment", "this x-idempotency-key was used for another payment or one that has moved on", nil}
		}
		var a *Authorization
		if authID != nil {
			a = b.st.Authorizations[*authID]
			if a == nil || a.Status != "Unauthorized" {
				return outcome{http.StatusConflict, RuleBundle, "IllegalState", "authorizationId names no bundle open for more payments", nil}
			}
			if b.holdsForeign(a) {
				return outcome{http.StatusConflict, RuleBundleMix, "IllegalState", "foreign payments can't be bundled with SEPA payments", nil}
			}
		} else {
			a = &Authorization{ID: b.randomID(), Status: "Unauthorized", Created: now}
			if tok.Kind == "user" {
				a.Exemption, a.Payer = true, tok.Payer
			}
		}
		p.ID, p.AuthID, p.Status, p.Key, p.BodyHash, p.Created, p.Modified = b.randomID(), a.ID, "Unauthorized", key, bodyHash, now, now
		a.PaymentIDs = append(a.PaymentIDs, p.ID)
		b.st.Authorizations[a.ID] = a
		b.st.Payments[p.ID] = p
		b.st.Keys[key] = p.ID
		if err := b.st.save(); err != nil {
			return outcome{http.StatusInternalServerError, RuleExists, "TECHNICAL", "the bank could not store the payment", nil}
		}
		return outcome{status: http.StatusCreated, view: view(p)}
	}()
	if res.rule != 0 {
		if res.rule == RuleBundle || res.rule == RuleBundleMix {
			e.v.pass(RuleDuplicate)
		}
		if res.rule == RuleBundleMix {
			e.v.pass(RuleBundle)
		}
		e.refuse(res.status, res.rule, res.typ, res.msg)
		return
	}
	e.v.pass(RuleDuplicate)
	e.v.pass(RuleBundle)
	if authID != nil {
		e.v.pass(RuleBundleMix)
	}
	e.answer(res.status, res.view)
}

func plainText(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || (r >= 0x200e && r <= 0x200f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return false
		}
	}
	return utf8.ValidString(s)
}

// euroCents: digits without a leading zero (unless "0.xx"), then nothing or a point and
// exactly two digits; positive.
func euroCents(s string) bool {
	if s == "" || len(s) > 15 {
		return false
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || (hasDot && len(frac) != 2) || (len(intPart) > 1 && intPart[0] == '0') {
		return false
	}
	nonzero := false
	for _, c := range intPart + frac {
		if c < '0' || c > '9' {
			return false
		}
		if c != '0' {
			nonzero = true
		}
	}
	return nonzero
}

// validIBAN: upper-case letters and digits, country + check digits, 15..34 long, mod 97 = 1.
func validIBAN(s string) bool {
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') || (i < 2 && !(c >= 'A' && c <= 'Z')) || (i >= 2 && i < 4 && !(c >= '0' && c <= '9')) {
			return false
		}
	}
	var digits strings.Builder
	for _, c := range s[4:] + s[:4] {
		if c >= 'A' && c <= 'Z' {
			digits.WriteString(big.NewInt(int64(c - 'A' + 10)).String())
		} else {
			digits.WriteRune(c)
		}
	}
	n, _ := new(big.Int).SetString(digits.String(), 10)
	return new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

// finnishReference: 4..20 digits whose last is the 7-3-1 check digit (Finnish creditor
// reference), or an RF reference (mod 97).
func finnishReference(s string) bool {
	if strings.HasPrefix(s, "RF") {
		return len(s) >= 5 && len(s) <= 25 && rfOK(s)
	}
	if len(s) < 4 || len(s) > 20 {
		return false
	}
	w := []int{7, 3, 1}
	sum := 0
	for i := len(s) - 2; i >= 0; i-- {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		sum += int(c-'0') * w[(len(s)-2-i)%3]
	}
	check := (10 - sum%10) % 10
	return s[len(s)-1] == byte('0'+check)
}

func rfOK(s string) bool {
	var digits strings.Builder
	for _, c := range s[4:] + s[:4] {
		switch {
		case c >= 'A' && c <= 'Z':
			digits.WriteString(big.NewInt(int64(c - 'A' + 10)).String())
		case c >= '0' && c <= '9':
			digits.WriteRune(c)
		default:
			return false
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

// sepaBody checks a SepaPaymentRequest (rules 10–13, 27) and gives the payment it asks for
// and the bundle it names.
func (e *exchange) sepaBody(raw []byte, tok *token) (*Payment, *string, bool) {
	var req paymentRequest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		typ := "TypeMismatch"
		if strings.Contains(err.Error(), "unknown field") {
			typ = "UnrecognizedProperty"
		}
		e.refuse(http.StatusBadRequest, RuleBody, typ, "the body is not a SepaPaymentRequest")
		return nil, nil, false
	}
	if dec.More() {
		e.refuse(http.StatusBadRequest, RuleBody, "TypeMismatch", "data after the JSON object")
		return nil, nil, false
	}
	if req.AmountEUR == nil || req.Payee == nil || req.Payee.IBAN == nil || req.Payee.Name == nil {
		e.refuse(http.StatusBadRequest, RuleBody, "Required", "amountEUR, payee.iban and payee.name are required")
		return nil, nil, false
	}
	e.v.pass(RuleBody)
	if !euroCents(*req.AmountEUR) {
		e.refuse(http.StatusBadRequest, RuleEuroCents, "EuroCents", "amountEUR must be a positive euro amount with 0 or 2 decimals")
		return nil, nil, false
	}
	e.v.pass(RuleEuroCents)
	if !validIBAN(*req.Payee.IBAN) {
		e.refuse(http.StatusBadRequest, RuleIBAN, "ValidIban", "payee.iban is not a valid IBAN")
		return nil, nil, false
	}
	if req.Payer != nil && (req.Payer.IBAN == nil || !validIBAN(*req.Payer.IBAN) || !strings.HasPrefix(*req.Payer.IBAN, "FI")) {
		e.refuse(http.StatusBadRequest, RuleIBAN, "FinnishIban", "payer.iban must be a valid Finnish IBAN")
		return nil, nil, false
	}
	e.v.pass(RuleIBAN)
	if n := utf8.RuneCountInString(*req.Payee.Name); n < 1 || n > 70 || !plainText(*req.Payee.Name) {
		e.refuse(http.StatusBadRequest, RuleTexts, "Size", "payee.name must be 1..70 plain characters")
		return nil, nil, false
	}
	if req.Message != nil && req.Reference != nil {
		e.refuse(http.StatusBadRequest, RuleTexts, "MessageOrReference", "give a message or a reference, not both")
		return nil, nil, false
	}
	if req.Message != nil && (utf8.RuneCountInString(*req.Message) > 140 || !plainText(*req.Message)) {
		e.refuse(http.StatusBadRequest, RuleTexts, "Size", "message must be at most 140 plain characters")
		return nil, nil, false
	}
	if req.Reference != nil && !finnishReference(*req.Reference) {
		e.refuse(http.StatusBadRequest, RuleTexts, "ValidFinnishReference", "reference is not a Finnish creditor reference")
		return nil, nil, false
	}
	if req.Count != nil && (*req.Count < 1 || *req.Count > 99) {
		e.refuse(http.StatusBadRequest, RuleTexts, "Max", "count must be 1..99")
		return nil, nil, false
	}
	e.v.pass(RuleTexts)
	if tok.Kind == "user" {
		// The exemption flow: one payment per authorization, none added to a bundle.
		if req.AuthorizationID != nil || (req.Count != nil && *req.Count != 1) {
			e.refuse(http.StatusBadRequest, RuleExemptCreate, "InvalidValue", "an exemption payment takes no authorizationId and no count")
			return nil, nil, false
		}
		e.v.pass(RuleExemptCreate)
	}
	p := &Payment{AmountEUR: *req.AmountEUR, PayeeIBAN: *req.Payee.IBAN, PayeeName: *req.Payee.Name, Count: 1}
	if !strings.Contains(p.AmountEUR, ".") {
		p.AmountEUR += ".00"
	}
	if req.Payer != nil {
		p.PayerIBAN = *req.Payer.IBAN
	}
	if req.Message != nil {
		p.Message = *req.Message
	}
	if req.Reference != nil {
		p.Reference = *req.Reference
	}
	if req.Count != nil {
		p.Count = *req.Count
	}
	return p, req.AuthorizationID, true
}
