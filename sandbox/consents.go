package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/payterm/payterm/sandbox/rules"
)

const rfc3339 = "2006-01-02T15:04:05Z07:00"

// decodeStoredPII reads back consent PII validated at PAR.
func decodeStoredPII(raw []byte) (*rules.ConsentPIIData, error) {
	if len(raw) == 0 {
		return &rules.ConsentPIIData{}, nil
	}
	var p rules.ConsentPIIData
	if err := json.Unmarshal(raw, &p); err != nil {
		return &rules.ConsentPIIData{}, fmt.Errorf("stored consent PII: %w", err)
	}
	return &p, nil
}

func (b *Bank) consentURL(id string) string { return b.rsURL + resourcePath("payment-consents/"+id) }
func (b *Bank) paymentURL(id string) string { return b.rsURL + resourcePath("payments/"+id) }

// consentMessageLocked is the GET /payment-consents/{id} message (also inside the token
// response's authorization_details). It never contains PII (rule 36). Caller holds b.mu.
func (b *Bank) consentMessageLocked(c *consentRecord, now time.Time) map[string]any {
	b.refreshConsentLocked(c, now)
	data := map[string]any{
		"ConsentId":            c.ConsentID,
		"ExpirationDateTime":   c.ExpirationDateTime.Format(rfc3339),
		"Status":               c.Status,
		"CreationDateTime":     c.CreationDateTime.UTC().Format(rfc3339),
		"StatusUpdateDateTime": c.StatusUpdateDateTime.UTC().Format(rfc3339),
		"ControlParameters":    map[string]any{"IsDelegatedAuthentication": true, "ConsentSchedule": map[string]any{}},
		"PaymentPurposeCode":   c.Meta.PaymentPurposeCode,
	}
	m := c.Meta
	if m.BaseConsentID != "" {
		data["BaseConsentId"] = m.BaseConsentID
	}
	if m.IsSingleAuthorization != nil {
		data["IsSingleAuthorization"] = *m.IsSingleAuthorization
	}
	if c.AuthExpiration != nil {
		data["AuthorizationExpirationDateTime"] = c.AuthExpiration.Format(rfc3339)
	}
	if len(m.Permissions) > 0 {
		data["Permissions"] = m.Permissions
	}
	if c.RevokedBy != "" {
		data["RevokedBy"] = c.RevokedBy
	}
	if m.DebtorReference != "" {
		data["DebtorReference"] = m.DebtorReference
	}
	if m.CreditorReference != "" {
		data["CreditorReference"] = m.CreditorReference
	}
	if m.SponsoredTPP != nil {
		data["SponsoredTPPInformation"] = m.SponsoredTPP
	}
	// Bounded (rule 36 read with the OpenAPI): the standard has no paging for Related and
	// Links allows no other member, so the bank lists the consent's latest maxRelatedPayments
	// payments, oldest first; PaymentConsumption still counts them all. Listing every one
	// broke clients that cap a body at 1 MiB at about 8,000 payments.
	related := make([]string, 0, len(c.RecentPayments))
	for _, id := range c.RecentPayments {
		related = append(related, b.paymentURL(id))
	}
	if c.Status != statusAwaiting && c.Status != statusRejected {
		data["PaymentConsumption"] = map[string]any{
			"CumulativeNumberOfPayments": c.PaymentCount,
			"CumulativeValueOfPayments":  map[string]string{"Amount": formatFils(c.PaymentFils), "Currency": "AED"},
		}
	}
	msg := map[string]any{"Data": data, "Links": map[string]any{"Self": b.consentURL(c.ConsentID), "Related": related}, "Meta": map[string]any{}}
	if m.Subscription != nil {
		msg["Subscription"] = m.Subscription
	}
	return msg
}

func formatFils(f int64) string {
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	return sign + strconv.FormatInt(f/100, 10) + "." + fmt.Sprintf("%02d", f%100)
}

// handleGetConsent is GET /payment-consents/{ConsentId} (rule 36).
func (b *Bank) handleGetConsent(w http.ResponseWriter, r *http.Request) {
	r, auth, ok := b.authResource(w, r)
	if !ok {
		return
	}
	id := r.PathValue("ConsentId")
	b.mu.Lock()
	c, found := b.st.Consents[id]
	var msg map[string]any
	if found && c.ClientID == auth.client.ClientID && (auth.token.ConsentID == "" || auth.token.ConsentID == id) {
		msg = b.consentMessageLocked(c, b.nowLocked())
	}
	b.mu.Unlock()
	if msg == nil {
		check(r.Context(), 36, "consent belongs to the client", errors.New("not found for this client"))
		w.WriteHeader(http.StatusNotFound)
		return
	}
	check(r.Context(), 36, "consent belongs to the client; no PII returned", nil)
	b.writeSigned(w, r, http.StatusOK, auth.client.ClientID, msg)
}

// handlePatchConsent is PATCH /payment-consents/{ConsentId}: revocation (rule 37).
func (b *Bank) handlePatchConsent(w http.ResponseWriter, r *http.Request) {
	r, auth, ok := b.authResource(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	body, ok := b.readJWTBody(w, r, 37)
	if !ok {
		return
	}
	now := b.now()
	opts := b.rulesOptions()
	payload, _, err := rules.VerifyJWS(string(body), clientKeyLookup(auth.client))
	if err != nil {
		b.writeViolation(w, r, rules.WithRule(err, 37))
		return
	}
	signed, err := rules.PaymentJWTClaims(payload, auth.client.ClientID, b.issuer, now, opts)
	if err != nil {
		b.writeViolation(w, r, rules.WithRule(err, 37))
		return
	}
	patch, err := rules.PatchConsent(signed.Message)
	if err != nil {
		b.writeViolation(w, r, err)
		return
	}
	check(ctx, 37, "signed PATCH body: Status Revoked, RevokedBy TPP*", nil)
	id := r.PathValue("ConsentId")
	b.mu.Lock()
	c, found := b.st.Consents[id]
	if !found || c.ClientID != auth.client.ClientID || (auth.token.ConsentID != "" && auth.token.ConsentID != id) {
		b.mu.Unlock()
		check(ctx, 36, "consent belongs to the client", errors.New("not found for this client"))
		w.WriteHeader(http.StatusNotFound)
		return
	}
	b.refreshConsentLocked(c, now)
	if err := rules.CanRevoke(c.Status); err != nil {
		b.mu.Unlock()
		b.writeViolation(w, r, err)
		return
	}
	revokedBy := patch.RevokedBy
	if revokedBy == "" {
		revokedBy = "TPP"
	}
	c.Status, c.RevokedBy, c.StatusUpdateDateTime = statusRevoked, revokedBy, now
	b.touchLocked(kindConsent, id)
	for k, t := range b.st.Refresh {
		if t.ConsentID == id && !t.Revoked {
			t.Revoked = true
			b.touchLocked(kindRefresh, k)
		}
	}
	err = b.commitLocked()
	b.mu.Unlock()
	if err != nil {
		b.writeError(w, r, http.StatusInternalServerError, "GenericRecoverableError", "could not persist the revocation", "")
		return
	}
	check(ctx, 37, "consent revoked", nil)
	w.WriteHeader(http.StatusNoContent)
}
