package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/payterm/payterm/sandbox/rules"
)

// CoPBasePath is the Confirmation of Payee API base (uae-confirmation-of-payee-openapi.yaml).
const CoPBasePath = "/open-finance/confirmation-of-payee/v2.1"

// AccountHolder is one entry of the sandbox's Confirmation of Payee directory. Name is the
// holder's name as the bank holds it; OptedOut answers 204 (no data).
type AccountHolder struct {
	IBAN     string
	Name     string
	Business bool
	OptedOut bool
}

// DefaultAccountHolders is the directory a bank starts with when Config.AccountHolders is nil:
// one person, one business and one holder who opted out. [SIM-CHOICE]
func DefaultAccountHolders() []AccountHolder {
	return []AccountHolder{
		{IBAN: "AE460090000000123456789", Name: "Fatima Al Mansoori"},
		{IBAN: "AE590260123456789012345", Name: "Falcon Trading LLC", Business: true},
		{IBAN: "AE620260001015678901234", Name: "Omar Haddad", OptedOut: true},
	}
}

// copState is the CoP directory and the answers the bank gave, so a payment can be checked
// against what was asked (rule 41): the signed answers (by the SHA-256 of the JWS) and the
// accounts whose holder opted out, per client. With a data dir each answer is appended to
// cop-answers.jsonl as it is given ([SIM-CHOICE]: a real bank's hub keeps them; a wallet does
// not ask again for a payee it checked before a restart), at most maxCoPIssued of them.
type copState struct {
	mu        sync.Mutex
	holders   map[string]AccountHolder
	path      string               // "" = not kept
	issued    map[string]copIssued // sha256 of the JWS → what it answered
	order     []string
	optedOut  map[string]bool // client id + " " + IBAN → the holder opted out when asked
	lines     int             // records in the file, for its compaction
	loadError error
}

type copIssued struct {
	ClientID string `json:"client_id,omitempty"`
	IBAN     string `json:"iban,omitempty"`
	Match    string `json:"match,omitempty"`
}

// copRecord is one line of cop-answers.jsonl: an answer given (Key set) or an opted-out
// holder asked about (OptedOut set).
type copRecord struct {
	Key string `json:"key,omitempty"`
	copIssued
	OptedOut string `json:"opted_out,omitempty"`
}

const (
	maxCoPIssued = 100_000
	copFile      = "cop-answers.jsonl"
)

func (b *Bank) cop() *copState {
	b.copOnce.Do(func() {
		c := &copState{holders: map[string]AccountHolder{}, issued: map[string]copIssued{}, optedOut: map[string]bool{}}
		list := b.cfg.AccountHolders
		if list == nil {
			list = DefaultAccountHolders()
		}
		for _, h := range list {
			c.holders[h.IBAN] = h
		}
		if b.cfg.DataDir != "" {
			c.path = filepath.Join(b.cfg.DataDir, copFile)
			if err := c.load(); err != nil {
				c.loadError = fmt.Errorf("%s: %w", copFile, err)
			}
		}
		b.copSt = c
	})
	return b.copSt
}

// load replays the file. A last line without its newline is a write a crash cut short: it is
// dropped and the file rewritten without it; any other line that does not parse is an error.
func (c *copState) load() error {
	raw, err := os.ReadFile(c.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	lines := strings.Split(string(raw), "\n")
	torn := lines[len(lines)-1] != ""
	for n, line := range lines[:len(lines)-1] {
		var r copRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil || (r.Key == "") == (r.OptedOut == "") {
			return fmt.Errorf("line %d is not an answer", n+1)
		}
		c.apply(r)
	}
	c.lines = len(lines) - 1
	if torn {
		return c.compactLocked()
	}
	return nil
}

// apply puts one record in memory (c.mu held, or during load).
func (c *copState) apply(r copRecord) {
	if r.OptedOut != "" {
		c.optedOut[r.OptedOut] = true
		return
	}
	if _, dup := c.issued[r.Key]; !dup {
		c.order = append(c.order, r.Key)
	}
	c.issued[r.Key] = r.copIssued
	for len(c.order) > maxCoPIssued {
		delete(c.issued, c.order[0])
		c.order = c.order[1:]
	}
}

// recordLocked applies r and appends it to the file, durably, before the answer goes out (c.mu
// held). The file is rewritten from memory once it holds twice what memory keeps.
func (c *copState) recordLocked(r copRecord) error {
	c.apply(r)
	if c.path == "" {
		return nil
	}
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(c.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(append(line, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	c.lines++
	if c.lines > 2*(len(c.order)+len(c.optedOut))+1000 {
		return c.compactLocked()
	}
	return nil
}

// compactLocked rewrites the file with what memory holds (atomically).
func (c *copState) compactLocked() error {
	var b strings.Builder
	for k := range c.optedOut {
		line, _ := json.Marshal(copRecord{OptedOut: k})
		b.Write(append(line, '\n'))
	}
	for _, k := range c.order {
		line, _ := json.Marshal(copRecord{Key: k, copIssued: c.issued[k]})
		b.Write(append(line, '\n'))
	}
	if err := writeFileAtomic(c.path, []byte(b.String())); err != nil {
		return err
	}
	c.lines = len(c.optedOut) + len(c.order)
	return nil
}

// AddAccountHolder adds (or replaces) an entry of the CoP directory.
func (b *Bank) AddAccountHolder(h AccountHolder) error {
	if err := rules.CheckIBAN(h.IBAN); err != nil {
		return fmt.Errorf("account holder: %w", err)
	}
	if h.Name == "" || len([]rune(h.Name)) > 140 {
		return errors.New("account holder: the name must be 1–140 characters")
	}
	c := b.cop()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.holders[h.IBAN] = h
	return nil
}

// copRequest authenticates a CoP call (mTLS, a client_credentials token with scope
// confirmation-of-payee) and verifies its signed body (rule 27's JWS checks, under rule 41).
func (b *Bank) copRequest(w http.ResponseWriter, r *http.Request) (*http.Request, *Client, []byte, bool) {
	r, auth, ok := b.authResourceScope(w, r, "confirmation-of-payee")
	if !ok {
		return r, nil, nil, false
	}
	ctx := r.Context()
	if auth.token.ConsentID != "" {
		check(ctx, 41, "CoP needs a client_credentials token", errors.New("a consent's user token"))
		b.writeError(w, r, http.StatusForbidden, "AccessToken.InvalidScope", "Confirmation of Payee takes the TPP's client_credentials token", "")
		return r, nil, nil, false
	}
	body, ok := b.readJWTBody(w, r, 41)
	if !ok {
		return r, nil, nil, false
	}
	signed, err := rules.VerifyPaymentBody(string(body), clientKeyLookup(auth.client), auth.client.ClientID, b.issuer, b.now(), b.rulesOptions())
	if err != nil {
		b.writeViolation(w, r, rules.WithRule(err, 41))
		return r, nil, nil, false
	}
	if signed.JTI != "" {
		// NameConfirmationRequestBodySigned and its sibling are closed: iss, exp, nbf, aud, iat, message.
		b.writeViolation(w, r, &rules.Violation{Rule: 41, Code: rules.CodeJWSInvalidClaim, Path: "jti",
			Message: "the CoP request envelope has no jti (additionalProperties: false)"})
		return r, nil, nil, false
	}
	check(ctx, 41, "CoP request signed by the client (PS256, iss, exp, nbf, aud)", nil)
	return r, auth.client, signed.Message, true
}

// handleCoPDiscovery is POST /discovery: every valid UAE IBAN is confirmed by this bank.
func (b *Bank) handleCoPDiscovery(w http.ResponseWriter, r *http.Request) {
	r, client, msg, ok := b.copRequest(w, r)
	if !ok {
		return
	}
	if _, err := rules.CoPDiscoveryRequest(msg); err != nil {
		b.writeViolation(w, r, err)
		return
	}
	check(r.Context(), 41, "CoP discovery request matches AEConfirmationDiscoveryRequest", nil)
	b.writeSigned(w, r, http.StatusOK, client.ClientID, map[string]any{
		"Data": map[string]any{
			"DiscoveryEndpointUrl": b.DiscoveryURL(),
			"ResourceServerUrl":    b.CoPBaseURL(),
		},
		"Links": map[string]any{"Self": b.CoPBaseURL() + "/discovery"},
		"Meta":  map[string]any{},
	})
}

// handleCoPConfirmation is POST /confirmation: the directory's answer for the name asked, 404
// for an account it does not hold, 204 for a holder who opted out.
func (b *Bank) handleCoPConfirmation(w http.ResponseWriter, r *http.Request) {
	r, client, msg, ok := b.copRequest(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	req, err := rules.CoPConfirmationRequest(msg)
	if err != nil {
		b.writeViolation(w, r, err)
		return
	}
	check(ctx, 41, "CoP confirmation request matches AEAccountConfirmationRequest", nil)
	c := b.cop()
	c.mu.Lock()
	h, found := c.holders[req.IBAN]
	c.mu.Unlock()
	switch {
	case !found:
		check(ctx, 41, "CoP: account held here", errors.New("no such account"))
		w.WriteHeader(http.StatusNotFound)
		return
	case h.OptedOut:
		c.mu.Lock()
		err := c.recordLocked(copRecord{OptedOut: client.ClientID + " " + req.IBAN})
		c.mu.Unlock()
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		check(ctx, 41, "CoP: holder opted out (204)", nil)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	match := rules.NameMatch(req.Name, h.Name)
	if match == "ConfirmationOfPayee.Yes" && req.Business != h.Business {
		match = "ConfirmationOfPayee.Partial" // the right name, asked as the wrong kind of holder
	}
	data := map[string]any{"NameMatchIndicator": match}
	if match == "ConfirmationOfPayee.Partial" {
		// [SIM-CHOICE] the standard leaves masking to the LFI; this bank shows a close match the
		// name it holds, so the payer can take it.
		data["MaskedName"] = h.Name
	}
	body, err := b.signResponse(r, client.ClientID, map[string]any{"Data": data,
		"Links": map[string]any{"Self": b.CoPBaseURL() + "/confirmation"}, "Meta": map[string]any{}})
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	c.mu.Lock()
	err = c.recordLocked(copRecord{Key: copKey(string(body)), copIssued: copIssued{ClientID: client.ClientID, IBAN: req.IBAN, Match: match}})
	c.mu.Unlock()
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	check(ctx, 41, "CoP answer "+match, nil)
	w.Header().Set("Content-Type", "application/jwt")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func copKey(jws string) string {
	s := sha256.Sum256([]byte(jws))
	return hex.EncodeToString(s[:])
}

// CoPBaseURL is the Confirmation of Payee API base on the resource server.
func (b *Bank) CoPBaseURL() string { return b.rsURL + CoPBasePath }

// checkPaymentCoP is rule 41 at POST /payments: a ConfirmationOfPayeeResponse must be an
// answer this bank signed for this client and this creditor's IBAN; Risk
// CreditorIndicators.IsCreditorConfirmed true needs one that said Yes; and a creditor the consent
// does not name (an open consent's payee) needs one at all, unless AllowUnconfirmedCreditors.
func (b *Bank) checkPaymentCoP(clientID string, consentNamesCreditors bool, pii *rules.PaymentPIIData) error {
	const path = "Initiation.ConfirmationOfPayeeResponse"
	var iban string
	var jws *string
	if pii.Initiation != nil {
		jws = pii.Initiation.ConfirmationOfPayeeResponse
		if ca := pii.Initiation.CreditorAccount; ca != nil {
			iban = ca.Identification
		}
	}
	confirmed := pii.Risk != nil && pii.Risk.CreditorIndicators != nil && pii.Risk.CreditorIndicators.IsCreditorConfirmed != nil &&
		*pii.Risk.CreditorIndicators.IsCreditorConfirmed
	if jws == nil {
		switch {
		case confirmed:
			return &rules.Violation{Rule: 41, Code: rules.CodeConsentBusinessRule, Path: "Risk.CreditorIndicators.IsCreditorConfirmed",
				Message: "IsCreditorConfirmed is true but the payment carries no Confirmation of Payee answer"}
		case !consentNamesCreditors && !b.cfg.AllowUnconfirmedCreditors:
			// A holder who opted out has no answer to carry: the client asking was the check.
			c := b.cop()
			c.mu.Lock()
			asked := c.optedOut[clientID+" "+iban]
			c.mu.Unlock()
			if !asked {
				return &rules.Violation{Rule: 41, Code: rules.CodeConsentBusinessRule, Path: path,
					Message: "a creditor the consent does not name needs Confirmation of Payee: send the /confirmation answer as ConfirmationOfPayeeResponse"}
			}
		}
		return nil
	}
	c := b.cop()
	c.mu.Lock()
	got, ok := c.issued[copKey(*jws)]
	c.mu.Unlock()
	switch {
	case !ok:
		return &rules.Violation{Rule: 41, Code: rules.CodeConsentBusinessRule, Path: path,
			Message: "ConfirmationOfPayeeResponse is not an answer this bank's Confirmation of Payee gave"}
	case got.ClientID != clientID:
		return &rules.Violation{Rule: 41, Code: rules.CodeConsentBusinessRule, Path: path,
			Message: "ConfirmationOfPayeeResponse was given to another client"}
	case got.IBAN != iban:
		return &rules.Violation{Rule: 41, Code: rules.CodeConsentBusinessRule, Path: path,
			Message: "ConfirmationOfPayeeResponse confirms another account than the creditor's"}
	case confirmed && got.Match != "ConfirmationOfPayee.Yes":
		return &rules.Violation{Rule: 41, Code: rules.CodeConsentBusinessRule, Path: "Risk.CreditorIndicators.IsCreditorConfirmed",
			Message: "IsCreditorConfirmed is true but the Confirmation of Payee answer was not a match"}
	}
	return nil
}
