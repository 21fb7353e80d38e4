package xs2a

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/payterm/payterm/sandbox/xs2a/acct"
)

// Transaction statuses (ISO 20022) the bank uses.
const (
	stRCVD = "RCVD"
	stACTC = "ACTC"
	stACCP = "ACCP"
	stACSP = "ACSP"
	stACSC = "ACSC"
	stACCC = "ACCC"
	stRJCT = "RJCT"
	stCANC = "CANC"
)

func finalStatus(s string) bool {
	return s == stACSC || s == stACCC || s == stRJCT || s == stCANC
}

// The JSON body of a single payment (BG paymentInitiation_json, the fields this bank supports).
type accountRef struct {
	IBAN      *string `json:"iban,omitempty"`
	BBAN      *string `json:"bban,omitempty"`
	PAN       *string `json:"pan,omitempty"`
	MaskedPan *string `json:"maskedPan,omitempty"`
	MSISDN    *string `json:"msisdn,omitempty"`
	Currency  *string `json:"currency,omitempty"`
}

type amountJSON struct {
	Currency string `json:"currency"`
	Amount   string `json:"amount"`
}

type addressJSON struct {
	StreetName     *string `json:"streetName,omitempty"`
	BuildingNumber *string `json:"buildingNumber,omitempty"`
	TownName       *string `json:"townName,omitempty"`
	PostCode       *string `json:"postCode,omitempty"`
	Country        string  `json:"country"`
}

type initiationJSON struct {
	EndToEndIdentification            *string      `json:"endToEndIdentification,omitempty"`
	DebtorAccount                     *accountRef  `json:"debtorAccount"`
	InstructedAmount                  *amountJSON  `json:"instructedAmount"`
	CreditorAccount                   *accountRef  `json:"creditorAccount"`
	CreditorAgent                     *string      `json:"creditorAgent,omitempty"`
	CreditorAgentName                 *string      `json:"creditorAgentName,omitempty"`
	CreditorName                      *string      `json:"creditorName"`
	CreditorAddress                   *addressJSON `json:"creditorAddress,omitempty"`
	RemittanceInformationUnstructured *string      `json:"remittanceInformationUnstructured,omitempty"`
}

// amountRE is the BG amount pattern, anchored (the OpenAPI file's is not).
var (
	amountRE   = regexp.MustCompile(`^-?[0-9]{1,14}(\.[0-9]{1,3})?$`)
	currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
	bicRE      = regexp.MustCompile(`^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$`)
	countryRE  = regexp.MustCompile(`^[A-Z]{2}$`)
)

// minorUnits are the ISO 4217 exponents of the currencies the profiles offer.
var minorUnits = map[string]int{"EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "NOK": 2, "SEK": 2, "DKK": 2, "PLN": 2, "GEL": 2}

func formatErr(path, text string) *bankError {
	return &bankError{status: http.StatusBadRequest, code: "FORMAT_ERROR", path: path, text: text}
}

// parseAmount checks rule 21 and returns minor units.
func parseAmount(a *amountJSON, prod Product) (int64, error) {
	if !currencyRE.MatchString(a.Currency) {
		return 0, formatErr("instructedAmount.currency", "currency must be three uppercase letters (ISO 4217)")
	}
	if !amountRE.MatchString(a.Amount) {
		return 0, formatErr("instructedAmount.amount", `amount must match -?[0-9]{1,14}(\.[0-9]{1,3})? with a dot, e.g. "123.50"`)
	}
	ok := false
	for _, c := range prod.Currencies {
		ok = ok || c == a.Currency
	}
	if !ok {
		return 0, formatErr("instructedAmount.currency", fmt.Sprintf("product %s accepts %s only", prod.Name, strings.Join(prod.Currencies, ", ")))
	}
	if strings.HasPrefix(a.Amount, "-") {
		return 0, formatErr("instructedAmount.amount", "amount must be positive")
	}
	exp := minorUnits[a.Currency]
	whole, frac, _ := strings.Cut(a.Amount, ".")
	if len(frac) > exp {
		return 0, formatErr("instructedAmount.amount", fmt.Sprintf("%s has %d decimals", a.Currency, exp))
	}
	frac += strings.Repeat("0", exp-len(frac))
	var minor int64
	for _, ch := range whole + frac {
		minor = minor*10 + int64(ch-'0')
	}
	if minor <= 0 {
		return 0, formatErr("instructedAmount.amount", "amount must be greater than zero")
	}
	return minor, nil
}

// checkAccount checks rule 22 for one account reference under the product's scheme.
func checkAccount(ref *accountRef, prod Product, path string) (string, error) {
	n := 0
	for _, p := range []*string{ref.IBAN, ref.BBAN, ref.PAN, ref.MaskedPan, ref.MSISDN} {
		if p != nil {
			n++
		}
	}
	if n != 1 {
		return "", formatErr(path, "an account reference holds exactly one of iban, bban, pan, maskedPan, msisdn")
	}
	if ref.Currency != nil && !currencyRE.MatchString(*ref.Currency) {
		return "", formatErr(path+".currency", "currency must be three uppercase letters")
	}
	switch prod.Account {
	case "bban-no":
		if ref.BBAN == nil {
			return "", formatErr(path, "product "+prod.Name+" takes a Norwegian account number in bban")
		}
		if err := acct.CheckNorwegianBBAN(*ref.BBAN); err != nil {
			return "", formatErr(path+".bban", err.Error())
		}
		return "bban:" + *ref.BBAN, nil
	default:
		if ref.IBAN == nil {
			return "", formatErr(path, "product "+prod.Name+" takes an iban")
		}
		if err := acct.CheckIBAN(*ref.IBAN); err != nil {
			return "", formatErr(path+".iban", err.Error())
		}
		switch {
		case prod.Account == "sepa-iban" && !acct.InSEPA(*ref.IBAN):
			return "", formatErr(path+".iban", "product "+prod.Name+" takes an IBAN of a SEPA country")
		case prod.Account == "iban-ge" && !strings.HasPrefix(*ref.IBAN, "GE"):
			return "", formatErr(path+".iban", "product "+prod.Name+" takes a Georgian (GE) IBAN")
		}
		return "iban:" + *ref.IBAN, nil
	}
}

// checkText checks rule 23: length in characters and no control characters.
func checkText(s *string, path string, min, max int) error {
	if s == nil {
		return nil // required fields were checked with the body (rule 20)
	}
	n := utf8.RuneCountInString(*s)
	if !utf8.ValidString(*s) || n < min || n > max {
		return formatErr(path, fmt.Sprintf("%s must be %d–%d characters", path, min, max))
	}
	for _, r := range *s {
		if unicode.IsControl(r) {
			return formatErr(path, path+" must not contain control characters")
		}
	}
	return nil
}

func parseBoolHeader(r *http.Request, name string) (*bool, error) {
	vs := r.Header.Values(name)
	if len(vs) == 0 {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(vs[0])) {
	case "true":
		return boolPtr(true), nil
	case "false":
		return boolPtr(false), nil
	}
	return nil, formatErr(name, name+" must be true or false")
}

// chooseApproach picks the SCA approach from the TPP-*-Preferred headers and the profile.
func (b *Bank) chooseApproach(redirectPref, decoupledPref *bool) Approach {
	p := b.prof
	switch {
	case decoupledPref != nil && *decoupledPref && p.offers(Decoupled):
		return Decoupled
	case redirectPref != nil && !*redirectPref:
		if p.offers(Embedded) && (decoupledPref == nil || !*decoupledPref) {
			return Embedded
		}
		if p.offers(Decoupled) {
			return Decoupled
		}
	case redirectPref != nil && *redirectPref && p.offers(Redirect):
		return Redirect
	}
	return p.Approaches[0]
}

// initiate is POST /v1/{payment-service}/{payment-product} (rules 18–26, 36).
func (b *Bank) initiate(c *call) error {
	r := c.r
	service, productName := r.PathValue("service"), r.PathValue("product")
	switch service {
	case "payments":
	case "bulk-payments", "periodic-payments":
		c.check(RuleServiceProduct, "payment service and product offered", fmt.Errorf("%s is not offered", service))
		return fail(http.StatusMethodNotAllowed, "SERVICE_INVALID", "this bank offers single payments only (/v1/payments/…); "+service+" is not supported")
	default:
		c.check(RuleServiceProduct, "payment service and product offered", errors.New("unknown payment service"))
		return fail(http.StatusNotFound, "RESOURCE_UNKNOWN", "the payment service must be payments, bulk-payments or periodic-payments")
	}
	prod, ok := b.prof.product(productName)
	if !ok {
		names := make([]string, len(b.prof.Products))
		for i, p := range b.prof.Products {
			names[i] = p.Name
		}
		c.check(RuleServiceProduct, "payment service and product offered", errors.New("unknown payment product"))
		return fail(http.StatusNotFound, "PRODUCT_UNKNOWN", "this bank offers the payment products "+strings.Join(names, ", "))
	}
	c.check(RuleServiceProduct, "payment service and product offered", nil)

	// Rule 36: query parameters and preference headers.
	allowDup := false
	for k, v := range r.URL.Query() {
		if k == "allowLogicalDuplicate" && b.prof.LogicalDuplicates && len(v) == 1 && (v[0] == "true" || v[0] == "false") {
			allowDup = v[0] == "true"
			continue
		}
		c.check(RuleQuery, "query parameters and preference headers well-formed", fmt.Errorf("unexpected query parameter %s", k))
		return formatErr(k, "query parameter "+k+" is not accepted here")
	}
	redirectPref, err1 := parseBoolHeader(r, "TPP-Redirect-Preferred")
	decoupledPref, err2 := parseBoolHeader(r, "TPP-Decoupled-Preferred")
	noFundsPref, err3 := parseBoolHeader(r, "TPP-Rejection-NoFunds-Preferred")
	explicitPref, err4 := parseBoolHeader(r, "TPP-Explicit-Authorisation-Preferred")
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		c.check(RuleQuery, "query parameters and preference headers well-formed", err)
		return formatErr("", err.Error())
	}
	c.check(RuleQuery, "query parameters and preference headers well-formed", nil)

	// Rule 18: PSU-IP-Address.
	ip := net.ParseIP(r.Header.Get("PSU-IP-Address"))
	if ip == nil || ip.To4() == nil || strings.Contains(r.Header.Get("PSU-IP-Address"), ":") {
		c.check(RulePSUIPAddress, "PSU-IP-Address present (IPv4)", errors.New("missing or not an IPv4 address"))
		return formatErr("PSU-IP-Address", "PSU-IP-Address is required on a payment initiation: the PSU's IPv4 address, or the TPP's own if unknown")
	}
	c.check(RulePSUIPAddress, "PSU-IP-Address present (IPv4)", nil)

	// Rule 20: the body.
	if !isJSON(r) {
		c.check(RuleBodyJSON, "body is the payment JSON", errors.New("Content-Type is not application/json"))
		return fail(http.StatusUnsupportedMediaType, "FORMAT_ERROR", "send the payment as Content-Type: application/json")
	}
	var in initiationJSON
	if err := decodeStrict(c.body, &in); err != nil {
		c.check(RuleBodyJSON, "body is the payment JSON", err)
		return formatErr("", err.Error())
	}
	var missing []string
	if in.DebtorAccount == nil {
		missing = append(missing, "debtorAccount")
	}
	if in.InstructedAmount == nil {
		missing = append(missing, "instructedAmount")
	}
	if in.CreditorAccount == nil {
		missing = append(missing, "creditorAccount")
	}
	if in.CreditorName == nil {
		missing = append(missing, "creditorName")
	}
	if len(missing) > 0 {
		c.check(RuleBodyJSON, "body is the payment JSON", fmt.Errorf("missing %s", strings.Join(missing, ", ")))
		return formatErr(missing[0], "required: "+strings.Join(missing, ", "))
	}
	c.check(RuleBodyJSON, "body is the payment JSON", nil)

	minor, err := parseAmount(in.InstructedAmount, prod)
	if c.check(RuleAmount, "instructedAmount valid for the product", err) != nil {
		return err
	}
	debtor, err := checkAccount(in.DebtorAccount, prod, "debtorAccount")
	var creditor string
	if err == nil {
		creditor, err = checkAccount(in.CreditorAccount, prod, "creditorAccount")
	}
	if c.check(RuleAccounts, "accounts valid for the product", err) != nil {
		return err
	}
	err = errors.Join(checkText(in.CreditorName, "creditorName", 1, 70), checkText(in.RemittanceInformationUnstructured, "remittanceInformationUnstructured", 0, 140),
		checkText(in.EndToEndIdentification, "endToEndIdentification", 1, 35), checkText(in.CreditorAgentName, "creditorAgentName", 0, 140))
	if err == nil && in.CreditorAgent != nil && !bicRE.MatchString(*in.CreditorAgent) {
		err = formatErr("creditorAgent", "creditorAgent must be a BIC (8 or 11 characters)")
	}
	if err == nil && in.CreditorAddress != nil {
		if !countryRE.MatchString(in.CreditorAddress.Country) {
			err = formatErr("creditorAddress.country", "creditorAddress.country is an ISO 3166 alpha-2 code")
		} else {
			err = errors.Join(checkText(in.CreditorAddress.StreetName, "creditorAddress.streetName", 0, 70),
				checkText(in.CreditorAddress.TownName, "creditorAddress.townName", 0, 140), checkText(in.CreditorAddress.PostCode, "creditorAddress.postCode", 0, 35),
				checkText(in.CreditorAddress.BuildingNumber, "creditorAddress.buildingNumber", 0, 16))
		}
	}
	if err != nil {
		err = firstBankErr(err)
		c.check(RuleTexts, "text fields within their lengths", err)
		return err
	}
	c.check(RuleTexts, "text fields within their lengths", nil)

	// Rule 24: where the PSU's browser returns.
	approach := b.chooseApproach(redirectPref, decoupledPref)
	redirectURI, nokURI := r.Header.Get("TPP-Redirect-URI"), r.Header.Get("TPP-Nok-Redirect-URI")
	if err := b.checkRedirectHeaders(c, approach == Redirect); err != nil {
		return err
	}

	psuID := r.Header.Get("PSU-ID")
	fp := ""
	if b.prof.LogicalDuplicates {
		h := sha256.New()
		for _, s := range []string{c.tpp.ID, psuID, productName, in.InstructedAmount.Currency, fmt.Sprint(minor), debtor, creditor, *in.CreditorName,
			deref(in.RemittanceInformationUnstructured), deref(in.EndToEndIdentification)} {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
		fp = hex.EncodeToString(h.Sum(nil))
	}
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	// Rule 26: SpareBank 1 refuses a logical duplicate unless allowLogicalDuplicate=true.
	if fp != "" && !allowDup {
		for _, q := range b.st.Payments {
			if q.Fingerprint == fp && q.TPPID == c.tpp.ID && q.Status != stRJCT && q.Status != stCANC && now.Sub(q.CreatedAt) < 24*time.Hour {
				c.check(RuleLogicalDuplicate, "not a logical duplicate", errors.New("an identical payment exists"))
				return fail(http.StatusBadRequest, "PAYMENT_FAILED", "an identical payment was initiated in the last 24 hours; send allowLogicalDuplicate=true if you mean a second one")
			}
		}
		c.check(RuleLogicalDuplicate, "not a logical duplicate", nil)
	}
	p := &payment{ID: b.newID(), TPPID: c.tpp.ID, Service: service, Product: productName, Body: append(json.RawMessage(nil), c.body...),
		Currency: in.InstructedAmount.Currency, Minor: minor, Approach: approach, Status: stRCVD, CreatedAt: now, StatusAt: now,
		PSUID: psuID, RedirectURI: redirectURI, NokRedirectURI: nokURI, Fingerprint: fp}
	if noFundsPref != nil {
		p.RejectNoFunds = *noFundsPref
	}
	if _, ok := b.faults.take(FaultNoFunds); ok {
		p.NoFundsFault = true
		c.check(0, "fault: no funds", errors.New("this payment will find no funds"))
	}
	b.st.Payments[p.ID] = p
	b.touchLocked(recPayment, p.ID)
	links := map[string]any{"self": b.link(b.paymentPath(p)), "status": b.link(b.paymentPath(p) + "/status")}
	explicit := explicitPref != nil && *explicitPref
	var psuMessage string
	switch {
	case approach == OAuth:
		a := b.newAuthLocked(p, false, now)
		links["scaOAuth"] = map[string]any{"href": b.OAuthMetadataURL()}
		links["scaStatus"] = b.link(b.authPath(p, a))
	case approach == Redirect && !b.prof.SessionGate && !explicit:
		a := b.newAuthLocked(p, false, now)
		links["scaRedirect"] = map[string]any{"href": b.pageURL(a)}
		links["scaStatus"] = b.link(b.authPath(p, a))
	case approach == Decoupled && psuID == "":
		links["startAuthorisationWithPsuIdentification"] = b.link(b.paymentPath(p) + "/authorisations")
	case approach == Embedded:
		links["startAuthorisationWithPsuAuthentication"] = b.link(b.paymentPath(p) + "/authorisations")
	default:
		links["startAuthorisation"] = b.link(b.paymentPath(p) + "/authorisations")
	}
	if approach == Decoupled {
		psuMessage = "Start the authorisation; then confirm the payment in your bank app."
	}
	if err := b.appendLocked(); err != nil {
		return err
	}
	c.w.Header().Set("Location", b.absURL(b.paymentPath(p)))
	wire := string(approach)
	if approach == OAuth {
		wire = string(Redirect) // "The OAuth SCA approach will be subsumed by REDIRECT."
	}
	c.w.Header().Set("ASPSP-SCA-Approach", wire)
	body := map[string]any{"transactionStatus": p.Status, "paymentId": p.ID, "_links": links}
	if psuMessage != "" {
		body["psuMessage"] = psuMessage
	}
	c.json(http.StatusCreated, body)
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func firstBankErr(err error) error {
	var be *bankError
	if errors.As(err, &be) {
		return be
	}
	return err
}

// absURL makes a path on the API host absolute (Location headers are absolute).
func (b *Bank) absURL(path string) string { return b.apiURL + path }

// checkRedirectHeaders is rule 24: TPP-Redirect-URI present when the approach redirects, and
// every redirect header registered for the TPP.
func (b *Bank) checkRedirectHeaders(c *call, needed bool) error {
	r := c.r
	redirectURI, nokURI := r.Header.Get("TPP-Redirect-URI"), r.Header.Get("TPP-Nok-Redirect-URI")
	if needed && redirectURI == "" {
		c.check(RuleRedirectURI, "TPP-Redirect-URI present and registered", errors.New("missing for the redirect approach"))
		return formatErr("TPP-Redirect-URI", "the redirect SCA approach needs TPP-Redirect-URI (one of your registered redirect URIs)")
	}
	for name, u := range map[string]string{"TPP-Redirect-URI": redirectURI, "TPP-Nok-Redirect-URI": nokURI} {
		if u != "" && !redirectAllowed(c.tpp, u) {
			c.check(RuleRedirectURI, "TPP-Redirect-URI present and registered", fmt.Errorf("%s is not registered", name))
			return formatErr(name, name+" is not one of the redirect URIs registered for your TPP")
		}
	}
	c.check(RuleRedirectURI, "TPP-Redirect-URI present and registered", nil)
	return nil
}

// paymentFor loads the addressed payment for the calling TPP (rule 27) and advances it.
func (b *Bank) paymentForLocked(c *call) (*payment, error) {
	r := c.r
	p := b.st.Payments[r.PathValue("paymentId")]
	if p == nil || p.TPPID != c.tpp.ID {
		c.check(RuleResourceOwner, "the payment exists and is this TPP's", errors.New("unknown paymentId"))
		return nil, fail(http.StatusNotFound, "RESOURCE_UNKNOWN", "no payment with this paymentId for your TPP")
	}
	if p.Service != r.PathValue("service") || p.Product != r.PathValue("product") {
		c.check(RuleResourceOwner, "the payment exists and is this TPP's", errors.New("the path's service or product is not the payment's"))
		return nil, fail(http.StatusNotFound, "RESOURCE_UNKNOWN", "the payment was initiated under /v1/"+p.Service+"/"+p.Product+"; address it there")
	}
	c.check(RuleResourceOwner, "the payment exists and is this TPP's", nil)
	if err := b.checkBearerLocked(c, p); err != nil {
		return nil, err
	}
	b.advanceLocked(p, b.now())
	return p, nil
}

// getPayment is GET …/{paymentId}: the payment as initiated plus transactionStatus.
func (b *Bank) getPayment(c *call) error {
	b.mu.Lock()
	p, err := b.paymentForLocked(c)
	if err != nil {
		b.mu.Unlock()
		return err
	}
	var body map[string]any
	_ = json.Unmarshal(p.Body, &body)
	body["transactionStatus"] = p.Status
	err = b.appendLocked()
	b.mu.Unlock()
	if err != nil {
		return err
	}
	c.json(http.StatusOK, body)
	return nil
}

// getStatus is GET …/{paymentId}/status.
func (b *Bank) getStatus(c *call) error {
	b.mu.Lock()
	p, err := b.paymentForLocked(c)
	if err != nil {
		b.mu.Unlock()
		return err
	}
	body := map[string]any{"transactionStatus": p.Status}
	if p.FundsAvailable != nil {
		body["fundsAvailable"] = *p.FundsAvailable
		if !*p.FundsAvailable && p.Status == stACCP {
			body["tppMessage"] = []any{map[string]any{"category": "WARNING", "code": "FUNDS_NOT_AVAILABLE",
				"text": "the debtor account lacks funds; the payment waits for them, then is rejected"}}
		}
	}
	err = b.appendLocked()
	b.mu.Unlock()
	if err != nil {
		return err
	}
	c.json(http.StatusOK, body)
	return nil
}

// cancelPayment is DELETE …/{paymentId} (rule 32).
func (b *Bank) cancelPayment(c *call) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, err := b.paymentForLocked(c)
	if err != nil {
		return err
	}
	now := b.now()
	switch {
	case finalStatus(p.Status) || p.Status == stACSP:
		c.check(RuleCancellation, "the payment can still be cancelled", fmt.Errorf("status %s", p.Status))
		return fail(http.StatusBadRequest, "RESOURCE_BLOCKED", "the payment is "+p.Status+" and can no longer be cancelled")
	case p.CancelPending:
		c.check(RuleCancellation, "the payment can still be cancelled", errors.New("a cancellation is already waiting for authorisation"))
		return fail(http.StatusConflict, "STATUS_INVALID", "a cancellation of this payment is already waiting for authorisation")
	}
	c.check(RuleCancellation, "the payment can still be cancelled", nil)
	if p.Status == stRCVD || !b.prof.CancelNeedsSCA {
		for _, id := range p.Auths { // an open initiation authorisation ends with the payment
			if a := b.st.Auths[id]; a != nil && !scaFinal(a.SCAStatus) {
				a.SCAStatus = "failed"
				b.touchLocked(recAuth, id)
			}
		}
		b.setStatusLocked(p, stCANC, now)
		if err := b.appendLocked(); err != nil {
			return err
		}
		c.noContent()
		return nil
	}
	p.CancelPending = true
	b.touchLocked(recPayment, p.ID)
	links := map[string]any{"self": b.link(b.paymentPath(p)), "status": b.link(b.paymentPath(p) + "/status")}
	switch p.Approach {
	case Embedded:
		links["startAuthorisationWithPsuAuthentication"] = b.link(b.paymentPath(p) + "/cancellation-authorisations")
	default:
		links["startAuthorisation"] = b.link(b.paymentPath(p) + "/cancellation-authorisations")
	}
	if err := b.appendLocked(); err != nil {
		return err
	}
	c.json(http.StatusAccepted, map[string]any{"transactionStatus": p.Status, "_links": links})
	return nil
}

// checkBearerLocked is rule 37: the BG file makes Authorization optional on payment calls ("only
// if an OAuth2 based SCA was performed"), so a call without one passes; a Bearer token that is
// sent must be one this bank issued to this TPP for this payment, and not expired.
func (b *Bank) checkBearerLocked(c *call, p *payment) error {
	const name = "a Bearer token sent is this bank's, for this TPP and payment, unexpired"
	h := c.r.Header.Values("Authorization")
	if len(h) == 0 {
		return nil
	}
	tok, ok := strings.CutPrefix(h[0], "Bearer ")
	t := b.st.Tokens[secretKey(tok)]
	switch {
	case len(h) > 1 || !ok || tok == "":
		c.check(RuleBearerToken, name, errors.New("Authorization is not one Bearer token"))
		return fail(http.StatusUnauthorized, "TOKEN_INVALID", "Authorization must be one Bearer token from this bank's /oauth/token")
	case t == nil || t.TPPID != c.tpp.ID || t.PaymentID != p.ID:
		c.check(RuleBearerToken, name, errors.New("unknown token, or issued for another TPP or payment"))
		return fail(http.StatusUnauthorized, "TOKEN_INVALID", "the Bearer token was not issued for this payment")
	case !b.now().Before(t.ExpiresAt):
		c.check(RuleBearerToken, name, errors.New("expired"))
		return fail(http.StatusUnauthorized, "TOKEN_EXPIRED", "the Bearer token expired; a new SCA gives a new one")
	}
	c.check(RuleBearerToken, name, nil)
	return nil
}
