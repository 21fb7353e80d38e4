package sandbox

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/payterm/payterm/sandbox/rules"
)

// idempotencyWindow is how long (client_id, x-idempotency-key) replays the first response.
const idempotencyWindow = 24 * time.Hour

// readJWTBody enforces Content-Type application/jwt (415 without body otherwise) and reads a
// bounded body.
func (b *Bank) readJWTBody(w http.ResponseWriter, r *http.Request, rule int) ([]byte, bool) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/jwt" {
		check(r.Context(), rule, "Content-Type is application/jwt", errors.New("wrong content type"))
		w.WriteHeader(http.StatusUnsupportedMediaType)
		return nil, false
	}
	raw, err := readBounded(r.Body, r.ContentLength, rules.MaxJOSELength)
	if err != nil || len(raw) > rules.MaxJOSELength {
		b.writeError(w, r, http.StatusBadRequest, rules.CodeJWSMalformed, "body too large or unreadable", "")
		return nil, false
	}
	return raw, true
}

// readBounded reads r to its end, at most max+1 bytes (more is the caller's error). A
// declared length within max sizes the buffer once instead of growing it from 512 bytes
// (io.ReadAll); it is only a hint: the bytes read decide.
func readBounded(r io.Reader, declared int64, max int) ([]byte, error) {
	size := 512
	if declared > 0 && declared <= int64(max) {
		size = int(declared) + 1 // room to see the end without growing
	}
	buf := make([]byte, 0, size)
	lr := io.LimitReader(r, int64(max)+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// handleCreatePayment is POST /payments: rules 26–35.
func (b *Bank) handleCreatePayment(w http.ResponseWriter, r *http.Request) {
	r, auth, ok := b.authResource(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if auth.token.ConsentID == "" {
		check(ctx, 26, "POST /payments needs a consent-bound user token", errors.New("client_credentials token"))
		b.writeError(w, r, http.StatusForbidden, "AccessToken.InvalidScope", "a client_credentials token cannot initiate a payment; use the consent's access token", "")
		return
	}
	check(ctx, 26, "access token valid, sender-constrained, payments scope", nil)
	body, ok := b.readJWTBody(w, r, 27)
	if !ok {
		return
	}
	now := b.now()
	opts := b.rulesOptions()
	warnings, err := rules.PaymentHeaders(r.Header, now, opts)
	if err != nil {
		b.writeViolation(w, r, err)
		return
	}
	for _, warn := range warnings {
		check(ctx, 28, "warning: "+warn, nil)
	}
	check(ctx, 28, "payment headers", nil)
	idemKey := r.Header.Get("x-idempotency-key")
	client := auth.client
	signed, err := rules.VerifyPaymentBody(string(body), clientKeyLookup(client), client.ClientID, b.issuer, now, opts)
	if err != nil {
		// An identical retry after the body's exp still replays (rule 33): the stored response
		// is looked up before the claims are judged stale.
		if b.replayIfSameBody(w, r, client.ClientID, idemKey, body, now) {
			return
		}
		b.writeViolation(w, r, err)
		return
	}
	check(ctx, 27, "payment JWS and claims", nil)
	instr, err := rules.PaymentRequest(signed.Message, opts)
	if err != nil {
		b.writeViolation(w, r, err)
		return
	}
	check(ctx, 27, "payment message schema", nil)
	check(ctx, 30, "amount, currency, billing", nil)
	check(ctx, 15, "PaymentPurposeCode is AANI", nil)

	// Rule 33: idempotency. A key in flight is held so a concurrent duplicate cannot create a
	// second payment; while it is held, the archive can be asked without the lock.
	bodyHash := sha256Hex(body)
	idemID := client.ClientID + "\x00" + idemKey
	b.mu.Lock()
	if b.inflight[idemID] {
		b.mu.Unlock()
		check(ctx, 33, "idempotency key not in flight", errors.New("a request with this key is being processed"))
		b.writeError(w, r, http.StatusConflict, "GenericRecoverableError", "a request with this idempotency key is in progress; retry", "x-idempotency-key")
		return
	}
	b.inflight[idemID] = true
	defer func() {
		b.mu.Lock()
		delete(b.inflight, idemID)
		b.mu.Unlock()
	}()
	if prev, ok := b.st.Idempotency[idemID]; ok && now.Sub(prev.CreatedAt) >= idempotencyWindow {
		delete(b.st.Idempotency, idemID)
	}
	b.mu.Unlock()
	prev, err := b.lookupIdem(idemID, now)
	if err != nil {
		b.writeError(w, r, http.StatusInternalServerError, "GenericRecoverableError", "could not read the idempotency records", "")
		return
	}
	if prev != nil {
		switch {
		case prev.ConsentID != instr.ConsentID:
			b.writeViolation(w, r, &rules.Violation{Rule: 33, Code: rules.CodeConsentBusinessRule, Path: "x-idempotency-key",
				Message: "the idempotency key was used with another consent"})
		case prev.BodyHash != bodyHash && b.cfg.StrictIdempotencyMismatch:
			check(ctx, 33, "idempotent replay has the same body", errors.New("body differs from the first request"))
			b.writeError(w, r, http.StatusConflict, "GenericError", "the idempotency key was used with a different body", "x-idempotency-key")
		default:
			if prev.BodyHash != bodyHash {
				check(ctx, 33, "warning: idempotent replay with a different body; the first response is replayed", nil)
			}
			check(ctx, 33, "idempotent replay: stored response, no new payment", nil)
			b.writeReplay(w, r, idemID, prev)
		}
		return
	}
	check(ctx, 33, "idempotency key is new", nil)

	// Rule 29: the token's consent, DSCA, Authorized, not expired.
	b.mu.Lock()
	cons := b.st.Consents[auth.token.ConsentID]
	var consCopy consentRecord
	if cons != nil {
		b.refreshConsentLocked(cons, now)
		consCopy = *cons
	}
	encKeys := map[string]*rsa.PrivateKey{b.enc.kid: b.enc.priv}
	b.mu.Unlock()
	var consentErr string
	switch {
	case instr.ConsentID != auth.token.ConsentID:
		consentErr = "Data.ConsentId is not the consent this access token was issued for"
	case cons == nil:
		consentErr = "consent not found"
	case consCopy.Status != statusAuthorized:
		consentErr = "consent is " + consCopy.Status + ", not Authorized"
	}
	if consentErr != "" {
		b.writeViolation(w, r, &rules.Violation{Rule: 29, Code: rules.CodeConsentInvalid, Path: "Data.ConsentId", Message: consentErr})
		return
	}
	check(ctx, 29, "consent is the token's, Authorized and unexpired", nil)

	// The 201 this payment gets unless its PII's checks or the balance refuse it is signed
	// now on another goroutine, beside the PII's RSA decrypt (earlySign); which answer is
	// sent is still decided after every check below.
	billing, _ := json.Marshal(billingOf(instr))
	p := &paymentRecord{
		PaymentID: b.newUUID(), ConsentID: instr.ConsentID, ClientID: client.ClientID,
		Amount: instr.Amount, Currency: instr.Currency, PurposeCode: instr.PaymentPurposeCode,
		DebtorReference: instr.DebtorReference, CreditorReference: instr.CreditorReference, Billing: billing, CreatedAt: now,
		TransactionID: strings.ReplaceAll(b.newUUID(), "-", ""), // dropped if the payment is rejected
	}
	early := b.signEarly(client.ClientID, b.paymentMessage(p, now), now)

	// Rule 31: payment PII.
	plain, err := rules.OpenPII(instr.PIIJWE, encKeys, clientKeyLookup(client), opts)
	if err != nil {
		b.writeViolation(w, r, rules.WithRule(err, 31))
		return
	}
	pii, err := rules.PaymentPII(plain, client.ClientID, opts)
	if err != nil {
		b.writeViolation(w, r, err)
		return
	}
	check(ctx, 31, "payment PII JWE/JWS and flat schema", nil)
	check(ctx, 19, "creditor IBAN, name, agent", nil)
	if err := rules.RiskProvesSCA(pii.Risk, now, b.cfg.SCAMaxAge, opts); err != nil {
		b.writeViolation(w, r, err)
		return
	}
	check(ctx, 20, "Risk proves the TPP's SCA (MFA, Pass, two factors, recent)", nil)
	consentPII, err := decodeStoredPII(consCopy.PII)
	if err != nil {
		b.writeError(w, r, http.StatusInternalServerError, "GenericError", "stored consent is unreadable", "")
		return
	}
	var reject *rejectReason
	if err := rules.MatchCreditor(consentPII, pii); err != nil {
		if !b.cfg.CreditorMismatchAsReject {
			b.writeViolation(w, r, err)
			return
		}
		check(ctx, 32, "creditor matches the consent (mismatch → Rejected LFI.CreditorMismatch)", err)
		reject = &rejectReason{Code: "LFI.CreditorMismatch", Message: "The creditor does not match the consent."}
	} else {
		check(ctx, 32, "creditor matches the consent", nil)
	}
	if err := b.checkPaymentCoP(client.ClientID, len(consentPII.Creditors()) > 0, pii); err != nil {
		b.writeViolation(w, r, err)
		return
	}
	check(ctx, 41, "Confirmation of Payee answer (when required or sent) is this bank's, for this client and creditor", nil)
	fils, err := parseFils(instr.Amount)
	if err != nil {
		b.writeViolation(w, r, &rules.Violation{Rule: 30, Code: rules.CodeBodyInvalidFormat, Path: "Data.Instruction.Amount.Amount", Message: err.Error()})
		return
	}
	p.AmountFils = fils
	rec := &idemRecord{ConsentID: instr.ConsentID, BodyHash: bodyHash, PaymentID: p.PaymentID, Status: http.StatusCreated,
		Headers: map[string]string{"Location": b.paymentURL(p.PaymentID), "x-idempotency-key": idemKey}, CreatedAt: now}
	// The payment, its balance change and its idempotency key make one journal line, encoded
	// before anything changes (so a refused append changes nothing).
	b.mu.Lock()
	balance := b.st.BalanceFils
	if reject == nil {
		if fils > balance {
			reject = &rejectReason{Code: "AANI.AM04", Message: "Insufficient funds in the debtor account."}
		} else {
			balance -= fils
		}
	}
	p.Reject = reject
	if reject != nil {
		p.TransactionID = ""
	}
	p.Seq = b.st.NextSeq
	seq, err := b.appendLocked(journalEntry{Payment: p, IdemID: idemID, Idem: rec, BalanceFils: balance})
	if err == nil {
		b.st.BalanceFils = balance
		b.st.addPayment(p)
		// The key is known from now on (a compaction archives it with the payment); its
		// body follows once signed. The key stays in flight until this handler returns.
		b.pruneIdempotencyLocked(now, false)
		b.st.Idempotency[idemID] = rec
		b.noteIdempotencyLocked(rec)
	}
	b.mu.Unlock()
	if err != nil {
		b.writeError(w, r, http.StatusInternalServerError, "GenericRecoverableError", "could not persist the payment", "")
		return
	}
	// The 201's claims, and its early signature if that is finished and covers them: then
	// this handler fsyncs the payment's line itself (no hand-off to another goroutine).
	// Otherwise the line goes to disk while the answer is signed, and the 201 waits for that
	// fsync (often shared with concurrent payments), not for one after the signature.
	// The stored response (what replays return) is always correctly signed; only this answer
	// carries a wrong-key, wrong-iss or wrong-aud fault. Its claims depend only on the
	// payment (iat is its creation time), so should a crash lose the line that stores it, a
	// replay signs the same claims again (writeReplay).
	msg := b.paymentMessage(p, now)
	key, claims, err := b.responseClaims(client.ClientID, msg, now, "")
	if err != nil {
		b.writeError(w, r, http.StatusInternalServerError, "GenericError", "could not sign the response", "")
		return
	}
	resp, ready := early.take(key, claims)
	if !ready {
		if b.jw != nil {
			go b.jw.wait(seq) //nolint:errcheck // the handler waits for the same line below
		}
		if resp, err = early.await(key, claims); err != nil {
			b.writeError(w, r, http.StatusInternalServerError, "GenericError", "could not sign the response", "")
			return
		}
	}
	full := *rec
	full.Body = resp
	b.mu.Lock()
	b.st.Idempotency[idemID] = &full
	bodySeq, err := b.appendLocked(journalEntry{IdemID: idemID, Idem: &full, BalanceFils: b.st.BalanceFils})
	b.mu.Unlock()
	if err == nil && b.jw != nil {
		// Acknowledged once the payment and its key are on disk; the stored response follows
		// with the next fsync (within flushDelay).
		err = b.jw.wait(seq)
		b.jw.flushSoon(bodySeq)
	}
	if err != nil {
		b.writeError(w, r, http.StatusInternalServerError, "GenericRecoverableError", "could not persist the payment", "")
		return
	}
	check(ctx, 34, "signed 201 with Location and x-idempotency-key", nil)
	if fault, _ := ctx.Value(ctxResponseFault).(FaultKind); fault != "" {
		sent := full
		if sent.Body, err = b.signResponseAt(r, client.ClientID, msg, now); err != nil {
			b.writeError(w, r, http.StatusInternalServerError, "GenericError", "could not sign the response", "")
			return
		}
		writeStored(w, &sent)
		return
	}
	writeStored(w, &full)
}

// lookupIdem finds an idempotency record still in its 24 h window: the current journal's in
// memory, an older one in the archive. It returns a copy.
func (b *Bank) lookupIdem(id string, now time.Time) (*idemRecord, error) {
	b.mu.Lock()
	rec, ok := b.st.Idempotency[id]
	var cp idemRecord
	if ok {
		cp = *rec
	}
	arch := b.arch
	_, archived := b.archivedIdem[id]
	earlierRuns := now.Before(b.preStartIdemNewest.Add(idempotencyWindow))
	b.mu.Unlock()
	switch {
	case ok && now.Sub(cp.CreatedAt) < idempotencyWindow:
		return &cp, nil
	case ok || arch == nil || !archived && !earlierRuns:
		return nil, nil
	}
	return arch.idem(id, now.Add(-idempotencyWindow))
}

// lookupPayment finds a payment: the current journal's in memory, an older one in the
// archive. It returns a copy (nil when unknown).
func (b *Bank) lookupPayment(id string) (*paymentRecord, error) {
	b.mu.Lock()
	p, ok := b.st.Payments[id]
	var cp paymentRecord
	if ok {
		cp = *p
	}
	arch := b.arch
	b.mu.Unlock()
	if ok {
		return &cp, nil
	}
	if arch == nil {
		return nil, nil
	}
	return arch.payment(id)
}

// writeReplay answers with a stored response. A record without its body (a crash after the
// payment's line and before its response's, so the 201 was never sent) gets the payment's
// creation-time answer signed again: the same claims, a new signature, stored from then on.
func (b *Bank) writeReplay(w http.ResponseWriter, r *http.Request, id string, rec *idemRecord) {
	if rec.Body == nil {
		p, err := b.lookupPayment(rec.PaymentID)
		if err != nil || p == nil {
			b.writeError(w, r, http.StatusInternalServerError, "GenericRecoverableError", "could not read the stored payment", "")
			return
		}
		body, err := b.signResponseAt(r.WithContext(context.WithValue(r.Context(), ctxResponseFault, FaultKind(""))), p.ClientID,
			b.paymentMessage(p, p.CreatedAt), p.CreatedAt)
		if err != nil {
			b.writeError(w, r, http.StatusInternalServerError, "GenericError", "could not sign the response", "")
			return
		}
		full := *rec
		full.Body = body
		b.mu.Lock()
		b.st.Idempotency[id] = &full
		seq, err := b.appendLocked(journalEntry{IdemID: id, Idem: &full, BalanceFils: b.st.BalanceFils})
		b.mu.Unlock()
		if err == nil && b.jw != nil {
			err = b.jw.wait(seq)
		}
		if err != nil {
			b.writeError(w, r, http.StatusInternalServerError, "GenericRecoverableError", "could not persist the payment", "")
			return
		}
		rec = &full
	}
	writeStored(w, rec)
}

// replayIfSameBody answers a byte-identical retry from the idempotency store.
func (b *Bank) replayIfSameBody(w http.ResponseWriter, r *http.Request, clientID, key string, body []byte, now time.Time) bool {
	id := clientID + "\x00" + key
	b.mu.Lock()
	busy := b.inflight[id]
	b.mu.Unlock()
	if busy {
		return false
	}
	rec, err := b.lookupIdem(id, now)
	if err != nil || rec == nil || rec.BodyHash != sha256Hex(body) {
		return false
	}
	check(r.Context(), 33, "idempotent replay of an identical body: stored response", nil)
	b.writeReplay(w, r, id, rec)
	return true
}

func writeStored(w http.ResponseWriter, rec *idemRecord) {
	for k, v := range rec.Headers {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/jwt")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(rec.Status)
	_, _ = w.Write(rec.Body)
}

func billingOf(in *rules.PaymentInstruction) map[string]string {
	m := map[string]string{"Type": in.BillingType}
	if in.MerchantID != "" {
		m["MerchantId"] = in.MerchantID
	}
	return m
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// parseFils converts a validated ^\d{1,16}\.\d{2}$ amount to fils.
func parseFils(s string) (int64, error) {
	whole, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) != 2 || len(whole) < 1 || len(whole) > 16 || !allDigits(whole) || !allDigits(frac) {
		return 0, fmt.Errorf("amount must have the form 123.45")
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount: %w", err)
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount: %w", err)
	}
	return w*100 + f, nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// paymentMessage is the AEPaymentIdResponse message for p at now (rule 35).
func (b *Bank) paymentMessage(p *paymentRecord, now time.Time) map[string]any {
	status, updated := b.paymentStatusAt(p, now)
	data := map[string]any{
		"PaymentId":            p.PaymentID,
		"ConsentId":            p.ConsentID,
		"Status":               status,
		"StatusUpdateDateTime": updated.UTC().Format(rfc3339),
		"CreationDateTime":     p.CreatedAt.UTC().Format(rfc3339),
		"Instruction":          map[string]any{"Amount": map[string]string{"Amount": p.Amount, "Currency": p.Currency}},
		"PaymentPurposeCode":   p.PurposeCode,
		"OpenFinanceBilling":   json.RawMessage(p.Billing),
	}
	if p.DebtorReference != "" {
		data["DebtorReference"] = p.DebtorReference
	}
	if p.CreditorReference != "" {
		data["CreditorReference"] = p.CreditorReference
	}
	switch status {
	case payRejected:
		data["RejectReasonCode"] = []rejectReason{*p.Reject}
	case paySettled, payCredited:
		data["PaymentTransactionId"] = p.TransactionID
	}
	return map[string]any{"Data": data, "Links": map[string]string{"Self": b.paymentURL(p.PaymentID), "Related": b.consentURL(p.ConsentID)}, "Meta": map[string]any{}}
}

// handleGetPayment is GET /payments/{PaymentId} (rule 36: owner only, else 404).
func (b *Bank) handleGetPayment(w http.ResponseWriter, r *http.Request) {
	r, auth, ok := b.authResource(w, r)
	if !ok {
		return
	}
	id := r.PathValue("PaymentId")
	p, err := b.lookupPayment(id)
	if err != nil {
		b.writeError(w, r, http.StatusInternalServerError, "GenericRecoverableError", "could not read the payment", "")
		return
	}
	if p == nil || p.ClientID != auth.client.ClientID || (auth.token.ConsentID != "" && auth.token.ConsentID != p.ConsentID) {
		check(r.Context(), 36, "payment belongs to the client", errors.New("not found for this client"))
		w.WriteHeader(http.StatusNotFound)
		return
	}
	check(r.Context(), 36, "payment belongs to the client", nil)
	b.writeSigned(w, r, http.StatusOK, auth.client.ClientID, b.paymentMessage(p, b.now()))
}

// handleIdempotencyLookup is GET /payments with x-idempotency-key (§7.2).
func (b *Bank) handleIdempotencyLookup(w http.ResponseWriter, r *http.Request) {
	r, auth, ok := b.authResource(w, r)
	if !ok {
		return
	}
	key, err := rules.IdempotencyKey(r.Header)
	if err != nil {
		b.writeViolation(w, r, err)
		return
	}
	rec, err := b.lookupIdem(auth.client.ClientID+"\x00"+key, b.now())
	if err != nil {
		b.writeError(w, r, http.StatusInternalServerError, "GenericRecoverableError", "could not read the idempotency records", "")
		return
	}
	var self string
	if rec != nil && (auth.token.ConsentID == "" || auth.token.ConsentID == rec.ConsentID) {
		self = b.paymentURL(rec.PaymentID)
	}
	if self == "" {
		check(r.Context(), 33, "idempotency key known for this client", errors.New("no payment for this key"))
		w.WriteHeader(http.StatusNotFound)
		return
	}
	check(r.Context(), 33, "idempotency key known for this client", nil)
	b.writeSigned(w, r, http.StatusOK, auth.client.ClientID, map[string]any{"Data": map[string]any{}, "Links": map[string]string{"Self": self}})
}
