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
// accounts whose holder opted out, per client. With a data dir they are kept in
// cop-answers.json ([SIM-CHOICE]: a real bank's hub keeps them; a wallet does not ask again
// for a payee it checked before a restart), at most maxCoPIssued of them.
type copState struct {
	mu        sync.Mutex
	holders   map[string]AccountHolder
	path      string               // "" = not kept
	Issued    map[string]copIssued `json:"issued"` // sha256 of the JWS → what it answered
	Order     []string             `json:"order"`
	OptedOut  map[string]bool      `json:"opted_out"` // client id + " " + IBAN → the holder opted out when asked
	loadError error
}

type copIssued struct {
	ClientID string `json:"client_id"`
	IBAN     string `json:"iban"`
	Match    string `json:"match"`
}

const (
	maxCoPIssued = 100_000
	copFile      = "cop-answers.json"
)

func (b *Bank) cop() *copState {
	b.copOnce.Do(func() {
		c := &copState{holders: map[string]AccountHolder{}, Issued: map[string]copIssued{}, OptedOut: map[string]bool{}}
		list := b.cfg.AccountHolders
		if list == nil {
			list = DefaultAccountHolders()
		}
		for _, h := range list {
			c.holders[h.IBAN] = h
		}
		if b.cfg.DataDir != "" {
			c.path = filepath.Join(b.cfg.DataDir, copFile)
			if raw, err := os.ReadFile(c.path); err == nil {
				if err := json.Unmarshal(raw, c); err != nil {
					c.loadError = fmt.Errorf("%s: %w", copFile, err)
				}
			} else if !errors.Is(err, os.ErrNotExist) {
				c.loadError = err
			}
			if c.Issued == nil || c.OptedOut == nil || len(c.Order) != len(c.Issued) {
				c.Issued, c.Order, c.OptedOut = map[string]copIssued{}, nil, map[string]bool{}
			}
		}
		b.copSt = c
	})
	return b.copSt
}

// saveLocked keeps the answers on disk (c.mu held).
func (c *copState) saveLocked() error {
	if c.path == "" {
		return nil
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return writeFileAtomic(c.path, raw)
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
		c.OptedOut[client.ClientID+" "+req.IBAN] = true
		err := c.saveLocked()
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
	key := copKey(string(body))
	if _, dup := c.Issued[key]; !dup {
		c.Order = append(c.Order, key)
	}
	c.Issued[key] = copIssued{ClientID: client.ClientID, IBAN: req.IBAN, Match: match}
	for len(c.Order) > maxCoPIssued {
		delete(c.Issued, c.Order[0])
		c.Order = c.Order[1:]
	}
	err = c.saveLocked()
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
			asked := c.OptedOut[clientID+" "+iban]
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
	got, ok := c.Issued[copKey(*jws)]
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
