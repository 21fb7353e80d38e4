package xs2a

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/payterm/payterm/internal/iban"
)

// PSU is what the client forwards about the payer and their device. IPAddress is required on
// initiation (BG: "if not available, the IP address the TPP uses").
type PSU struct {
	IPAddress      string
	IPPort         string
	UserAgent      string
	Accept         string
	AcceptCharset  string
	AcceptEncoding string
	AcceptLanguage string
	HTTPMethod     string
	DeviceID       string // UUID
	GeoLocation    string // GEO:52.506931;13.144558

	ID              string // PSU-ID, when the bank asks for one
	IDType          string
	CorporateID     string
	CorporateIDType string

	Session *Session // SpareBank 1: from the session redirect
	Token   Secret   // Authorization: Bearer, when the bank issued one (OAuth)
}

// Session is a SpareBank 1 PSU session: the psu-id and tpp-session-id the bank's redirect
// back carried.
type Session struct {
	PSUID        string
	TPPSessionID Secret
}

// Call is the per-call context: who the PSU is and where the bank sends the browser back.
type Call struct {
	PSU            PSU
	RedirectURI    string // overrides Config.RedirectURI
	NokRedirectURI string
	// PreferRedirect / PreferDecoupled set TPP-Redirect-Preferred / TPP-Decoupled-Preferred.
	PreferRedirect  *bool
	PreferDecoupled *bool
}

// Amount is a sum in minor units of an ISO 4217 currency.
type Amount struct {
	Minor    int64
	Currency string
}

// minorDigits are the currencies this client formats (ISO 4217 exponent); a currency outside
// it is refused rather than guessed.
var minorDigits = map[string]int{"EUR": 2, "NOK": 2, "GEL": 2, "SEK": 2, "DKK": 2, "CHF": 2, "GBP": 2, "PLN": 2, "USD": 2, "CZK": 2, "HUF": 2, "RON": 2, "BGN": 2, "ISK": 0}

// amountRE is BG's amount pattern, anchored (the OpenAPI's is not): up to 14 integer digits,
// up to 3 decimals, a dot.
var amountRE = regexp.MustCompile(`^-?[0-9]{1,14}(\.[0-9]{1,3})?$`)

// AmountOK reports a string that is a BG amount under the anchored rule.
func AmountOK(s string) bool { return amountRE.MatchString(s) }

func (a Amount) wire() (string, error) {
	d, ok := minorDigits[a.Currency]
	if !ok {
		return "", inputErr("amount", "the currency %q is not one this client can send: use EUR, NOK, GEL or another listed ISO 4217 code", clip(a.Currency))
	}
	if a.Minor <= 0 {
		return "", inputErr("amount", "the amount must be more than zero")
	}
	s := strconv.FormatInt(a.Minor, 10)
	if d > 0 {
		for len(s) <= d {
			s = "0" + s
		}
		s = s[:len(s)-d] + "." + s[len(s)-d:]
	}
	if !amountRE.MatchString(s) {
		return "", inputErr("amount", "the amount has more than 14 digits before the decimal point")
	}
	return s, nil
}

// Account identifies an account as the PSU typed it; the product decides whether IBAN or
// BBAN is read. Spaces are removed, nothing else is rewritten.
type Account struct {
	IBAN     string
	BBAN     string
	Currency string // optional account currency
}

// Payment is a single credit transfer.
type Payment struct {
	Product       string
	Amount        Amount
	Debtor        Account
	Creditor      Account
	CreditorName  string // ≤ 70
	CreditorAgent string // BICFI, optional
	EndToEndID    string // ≤ 35, optional
	Remittance    string // ≤ 140, optional
}

type accountReference struct {
	IBAN     string `json:"iban,omitempty"`
	BBAN     string `json:"bban,omitempty"`
	Currency string `json:"currency,omitempty"`
}

type amountJSON struct {
	Currency string `json:"currency"`
	Amount   string `json:"amount"`
}

// paymentJSON is the field order of the BG example body.
type paymentJSON struct {
	EndToEndIdentification            string           `json:"endToEndIdentification,omitempty"`
	InstructedAmount                  amountJSON       `json:"instructedAmount"`
	DebtorAccount                     accountReference `json:"debtorAccount"`
	CreditorName                      string           `json:"creditorName"`
	CreditorAccount                   accountReference `json:"creditorAccount"`
	CreditorAgent                     string           `json:"creditorAgent,omitempty"`
	RemittanceInformationUnstructured string           `json:"remittanceInformationUnstructured,omitempty"`
}

var (
	bicRE      = regexp.MustCompile(`^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$`)
	currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
	uuidRE     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	geoRE      = regexp.MustCompile(`^GEO:-?[0-9]{1,2}\.[0-9]{6};-?[0-9]{1,3}\.[0-9]{6}$`)
	portRE     = regexp.MustCompile(`^[0-9]{1,5}$`)
)

func (c *Client) account(field string, a Account, kind AccountKind) (accountReference, error) {
	var ref accountReference
	if a.Currency != "" {
		if !currencyRE.MatchString(a.Currency) {
			return ref, inputErr(field, "the account currency must be three capital letters (ISO 4217)")
		}
		ref.Currency = a.Currency
	}
	switch kind {
	case AccountBBANNorway:
		if a.IBAN != "" || a.BBAN == "" {
			return ref, inputErr(field, "this product takes a Norwegian account number (11 digits), not an IBAN")
		}
		b, err := iban.ParseNorwegianBBAN(a.BBAN)
		if err != nil {
			return ref, inputErr(field, "%v", err)
		}
		ref.BBAN = b
	case AccountIBAN, AccountIBANDomestic:
		if a.BBAN != "" || a.IBAN == "" {
			return ref, inputErr(field, "this product takes an IBAN")
		}
		v, err := iban.Parse(a.IBAN)
		if err != nil {
			return ref, inputErr(field, "%v", err)
		}
		if kind == AccountIBANDomestic && v.Country() != c.cfg.Profile.HomeCountry {
			return ref, inputErr(field, "this product takes an IBAN from %s: pick the product for other countries", c.cfg.Profile.HomeCountry)
		}
		ref.IBAN = string(v)
	default:
		return ref, inputErr(field, "the product names no account kind")
	}
	return ref, nil
}

// BuildInitiate builds POST /v1/payments/{product}: the only URL the client makes up
// besides SpareBank 1's session endpoint.
func (c *Client) BuildInitiate(p Payment, call Call) (*Request, error) {
	prod, err := c.cfg.Profile.Product(p.Product)
	if err != nil {
		return nil, inputErr("product", "%v: pick one of the bank's products", err)
	}
	if prod.Currencies != nil && !slices.Contains(prod.Currencies, p.Amount.Currency) {
		return nil, inputErr("amount", "%s pays in %v only: change the currency or the product", prod.Name, prod.Currencies)
	}
	amt, err := p.Amount.wire()
	if err != nil {
		return nil, err
	}
	debtor, err := c.account("debtor account", p.Debtor, prod.Debtor)
	if err != nil {
		return nil, err
	}
	creditor, err := c.account("creditor account", p.Creditor, prod.Creditor)
	if err != nil {
		return nil, err
	}
	if err := textField("creditor name", p.CreditorName, 70, true); err != nil {
		return nil, err
	}
	if err := textField("end-to-end id", p.EndToEndID, 35, false); err != nil {
		return nil, err
	}
	if err := textField("remittance information", p.Remittance, 140, false); err != nil {
		return nil, err
	}
	if p.CreditorAgent != "" && !bicRE.MatchString(p.CreditorAgent) {
		return nil, inputErr("creditor agent", "it is not a BIC (8 or 11 capitals and digits): check it or leave it empty")
	}
	if call.PSU.IPAddress == "" {
		return nil, inputErr("PSU-IP-Address", "the payer's IP address is required to initiate a payment: pass the address the request comes from")
	}
	body, err := marshalCompact(paymentJSON{
		EndToEndIdentification: p.EndToEndID, InstructedAmount: amountJSON{Currency: p.Amount.Currency, Amount: amt},
		DebtorAccount: debtor, CreditorName: p.CreditorName, CreditorAccount: creditor, CreditorAgent: p.CreditorAgent,
		RemittanceInformationUnstructured: p.Remittance,
	})
	if err != nil {
		return nil, err
	}
	u := *c.base
	u.Path = c.base.Path + "/v1/" + prod.Service + "/" + url.PathEscape(prod.Name)
	reconcile := ReconcileAskUser
	if c.cfg.Profile.RefuseLogicalDuplicates {
		u.RawQuery = "allowLogicalDuplicate=false"
		reconcile = ReconcileResendRefused
	}
	return c.build(OpInitiate, http.MethodPost, &u, body, call, buildFlags{redirect: true, sideEffects: true, reconcile: reconcile})
}

// BuildResend builds a create whose answer was lost again, on a bank that refuses logical
// duplicates (Reconcile resend-refused-if-duplicate): the stored URL (with
// allowLogicalDuplicate=false) and body bytes, under a new X-Request-ID, Date and signature.
// The stored request itself cannot go again: a bank refuses a used X-Request-ID, and its Date
// goes stale in seconds. The bank then either creates the payment (the first never arrived)
// or refuses it as a duplicate (it did: ask the customer to check their bank).
func (c *Client) BuildResend(stored *Request, call Call) (*Request, error) {
	if stored == nil || stored.Op != OpInitiate || stored.Reconcile != ReconcileResendRefused || !c.cfg.Profile.RefuseLogicalDuplicates {
		return nil, inputErr("resend", "only a create on a bank that refuses logical duplicates may be sent again: ask the customer to check their bank")
	}
	u, err := url.Parse(stored.URL)
	if err != nil || !strings.EqualFold(u.Scheme, c.base.Scheme) || !strings.EqualFold(u.Host, c.base.Host) || u.RawQuery != "allowLogicalDuplicate=false" {
		return nil, inputErr("resend", "the stored request is not this bank's create with allowLogicalDuplicate=false: ask the customer to check their bank")
	}
	var body map[string]json.RawMessage
	if stored.Sensitive || decodeOne(stored.Body, &body) != nil {
		return nil, inputErr("resend", "the stored body is not a payment: ask the customer to check their bank")
	}
	if call.PSU.IPAddress == "" {
		return nil, inputErr("PSU-IP-Address", "the payer's IP address is required to initiate a payment: pass the address the request comes from")
	}
	return c.build(OpInitiate, http.MethodPost, u, append([]byte(nil), stored.Body...), call, buildFlags{redirect: true, sideEffects: true, reconcile: ReconcileResendRefused})
}

// BuildRetry builds a create the bank provably did not process again, on any profile: the
// stored URL and body bytes under a new X-Request-ID, Date and signature. Use it only when
// nothing was processed — the stored request never left (its Date went stale first) or the
// bank answered 429 — because a bank spends an X-Request-ID even on a refusal and checks
// Date within seconds. Never after a lost answer: that is BuildResend's (a bank that refuses
// logical duplicates) or the customer's.
func (c *Client) BuildRetry(stored *Request, call Call) (*Request, error) {
	if stored == nil || stored.Op != OpInitiate || stored.Sensitive {
		return nil, inputErr("retry", "only a payment initiation can be built again: build the payment anew")
	}
	u, err := url.Parse(stored.URL)
	if err != nil || !strings.EqualFold(u.Scheme, c.base.Scheme) || !strings.EqualFold(u.Host, c.base.Host) || u.User != nil || u.Fragment != "" {
		return nil, inputErr("retry", "the stored request is not for this bank's API host: build the payment anew")
	}
	if c.cfg.Profile.RefuseLogicalDuplicates != (u.RawQuery == "allowLogicalDuplicate=false") || !c.cfg.Profile.RefuseLogicalDuplicates && u.RawQuery != "" {
		return nil, inputErr("retry", "the stored request's query is not this profile's create: build the payment anew")
	}
	var body map[string]json.RawMessage
	if decodeOne(stored.Body, &body) != nil {
		return nil, inputErr("retry", "the stored body is not a payment: build the payment anew")
	}
	if call.PSU.IPAddress == "" {
		return nil, inputErr("PSU-IP-Address", "the payer's IP address is required to initiate a payment: pass the address the request comes from")
	}
	reconcile := ReconcileAskUser
	if c.cfg.Profile.RefuseLogicalDuplicates {
		reconcile = ReconcileResendRefused
	}
	return c.build(OpInitiate, http.MethodPost, u, append([]byte(nil), stored.Body...), call, buildFlags{redirect: true, sideEffects: true, reconcile: reconcile})
}

// marshalCompact writes single-line JSON without HTML escaping (adorsys rebuilds the body
// from lines; BG text fields may hold & < >).
func marshalCompact(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode body: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// StartAuth is the optional content of a start-authorisation request.
type StartAuth struct {
	Password             Secret // Embedded: psuData.password (needs Config.AllowEmbedded)
	AuthenticationMethod string // authenticationMethodId
}

// BuildStartAuthorisation builds POST on a startAuthorisation* link (of an initiation or of a
// 202 cancellation): body {} unless in carries a password or a method.
func (c *Client) BuildStartAuthorisation(link Link, in StartAuth, call Call) (*Request, error) {
	u, err := c.checkAPILink(link)
	if err != nil {
		return nil, err
	}
	var body any = struct{}{}
	sensitive := false
	switch {
	case !in.Password.IsZero() && in.AuthenticationMethod != "":
		return nil, inputErr("start authorisation", "send the password or the method, not both")
	case !in.Password.IsZero():
		if !c.cfg.AllowEmbedded {
			return nil, inputErr("password", "this wallet does not take online-banking passwords (Embedded approach disabled): use the bank's redirect")
		}
		body, sensitive = psuDataJSON(in.Password), true
	case in.AuthenticationMethod != "":
		if err := idField("authentication method", in.AuthenticationMethod); err != nil {
			return nil, err
		}
		body = map[string]string{"authenticationMethodId": in.AuthenticationMethod}
	}
	b, err := marshalCompact(body)
	if err != nil {
		return nil, err
	}
	op := OpStartAuthorisation
	if isCancellationLink(u) {
		op = OpStartCancellationSCA
	}
	return c.build(op, http.MethodPost, u, b, call, buildFlags{redirect: true, sideEffects: true, reconcile: ReconcileReadState, sensitive: sensitive})
}

type psuData struct {
	PSUData struct {
		Password string `json:"password"`
	} `json:"psuData"`
}

func psuDataJSON(pw Secret) psuData {
	var d psuData
	d.PSUData.Password = pw.Reveal()
	return d
}

// Update is one update-PSU-data request on an authorisation: exactly one field is set.
type Update struct {
	Identification       bool   // {} with the PSU-ID header (Decoupled: "update PSU identification")
	Password             Secret // {"psuData":{"password":…}} (Embedded)
	AuthenticationMethod string // {"authenticationMethodId":…}
	TAN                  Secret // {"scaAuthenticationData":…}
	ConfirmationCode     Secret // {"confirmationCode":…} (1.3.8+: scaStatus unconfirmed or a confirmation link)
}

// BuildUpdatePSUData builds PUT on an authorisation link (updatePsuIdentification,
// updatePsuAuthentication, selectAuthenticationMethod, authoriseTransaction, confirmation or
// the authorisation's scaStatus link).
func (c *Client) BuildUpdatePSUData(link Link, in Update, call Call) (*Request, error) {
	u, err := c.checkAPILink(link)
	if err != nil {
		return nil, err
	}
	set := 0
	for _, b := range []bool{in.Identification, !in.Password.IsZero(), in.AuthenticationMethod != "", !in.TAN.IsZero(), !in.ConfirmationCode.IsZero()} {
		if b {
			set++
		}
	}
	if set != 1 {
		return nil, inputErr("update PSU data", "set exactly one of identification, password, method, TAN or confirmation code")
	}
	var body any
	sensitive := true
	switch {
	case in.Identification:
		if call.PSU.ID == "" && call.PSU.Session == nil {
			return nil, inputErr("PSU-ID", "updating the PSU identification needs the PSU's id")
		}
		body, sensitive = struct{}{}, false
	case !in.Password.IsZero():
		if !c.cfg.AllowEmbedded {
			return nil, inputErr("password", "this wallet does not take online-banking passwords (Embedded approach disabled): use the bank's redirect")
		}
		body = psuDataJSON(in.Password)
	case in.AuthenticationMethod != "":
		if err := idField("authentication method", in.AuthenticationMethod); err != nil {
			return nil, err
		}
		body, sensitive = map[string]string{"authenticationMethodId": in.AuthenticationMethod}, false
	case !in.TAN.IsZero():
		if err := secretField("TAN", in.TAN); err != nil {
			return nil, err
		}
		body = map[string]string{"scaAuthenticationData": in.TAN.Reveal()}
	default:
		if err := secretField("confirmation code", in.ConfirmationCode); err != nil {
			return nil, err
		}
		body = map[string]string{"confirmationCode": in.ConfirmationCode.Reveal()}
	}
	b, err := marshalCompact(body)
	if err != nil {
		return nil, err
	}
	return c.build(OpUpdatePSUData, http.MethodPut, u, b, call, buildFlags{sideEffects: true, reconcile: ReconcileReadState, sensitive: sensitive})
}

// BuildGetSCAStatus builds GET on an authorisation's scaStatus link.
func (c *Client) BuildGetSCAStatus(link Link, call Call) (*Request, error) {
	return c.buildGet(OpSCAStatus, link, call)
}

// BuildGetTransactionStatus builds GET on a payment's status link.
func (c *Client) BuildGetTransactionStatus(link Link, call Call) (*Request, error) {
	return c.buildGet(OpTransactionStatus, link, call)
}

// BuildGetPayment builds GET on a payment's self link.
func (c *Client) BuildGetPayment(link Link, call Call) (*Request, error) {
	return c.buildGet(OpGetPayment, link, call)
}

// BuildListAuthorisations builds GET on an authorisations collection link (the
// startAuthorisation href names it).
func (c *Client) BuildListAuthorisations(link Link, call Call) (*Request, error) {
	return c.buildGet(OpListAuthorisations, link, call)
}

func (c *Client) buildGet(op Op, link Link, call Call) (*Request, error) {
	u, err := c.checkAPILink(link)
	if err != nil {
		return nil, err
	}
	return c.build(op, http.MethodGet, u, nil, call, buildFlags{reconcile: ReconcileNotNeeded})
}

// BuildCancel builds DELETE on a payment's self link: 204 cancels, 202 asks for a
// cancellation authorisation (its startAuthorisation link).
func (c *Client) BuildCancel(link Link, call Call) (*Request, error) {
	u, err := c.checkAPILink(link)
	if err != nil {
		return nil, err
	}
	return c.build(OpCancel, http.MethodDelete, u, nil, call, buildFlags{redirect: true, sideEffects: true, reconcile: ReconcileReadState})
}

// BuildEstablishSession builds SpareBank 1's GET /v1/users, which answers with the
// scaRedirect that establishes a PSU session (not part of the BG framework).
func (c *Client) BuildEstablishSession(call Call) (*Request, error) {
	if !c.cfg.Profile.PSUSession {
		return nil, inputErr("session", "%s has no PSU session", c.cfg.Profile.Name)
	}
	u := *c.base
	u.Path = c.base.Path + "/v1/users"
	return c.build(OpEstablishSession, http.MethodGet, &u, nil, call, buildFlags{redirect: true, reconcile: ReconcileNotNeeded})
}

func isCancellationLink(u *url.URL) bool {
	return bytes.Contains([]byte(u.Path), []byte("/cancellation-authorisations"))
}

type buildFlags struct {
	redirect    bool // the operation defines TPP-Redirect-URI
	sideEffects bool
	reconcile   Reconcile
	sensitive   bool
}

func (c *Client) psuHeaders(h http.Header, p PSU, sessionOptional bool) error {
	set := func(name, v string, check func(string) bool, what string) error {
		if v == "" {
			return nil
		}
		if err := headerValue(v); err != nil {
			return inputErr(name, "it %v", err)
		}
		if check != nil && !check(v) {
			return inputErr(name, "it is not %s", what)
		}
		h.Set(name, v)
		return nil
	}
	ipv4 := func(v string) bool {
		ip := net.ParseIP(v)
		return ip != nil && ip.To4() != nil && !bytes.ContainsRune([]byte(v), ':')
	}
	method := func(v string) bool { return slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, v) }
	for _, f := range []struct {
		name, v string
		check   func(string) bool
		what    string
	}{
		{"PSU-IP-Address", p.IPAddress, ipv4, "an IPv4 address"},
		{"PSU-IP-Port", p.IPPort, portRE.MatchString, "a port number"},
		{"PSU-User-Agent", p.UserAgent, nil, ""},
		{"PSU-Accept", p.Accept, nil, ""},
		{"PSU-Accept-Charset", p.AcceptCharset, nil, ""},
		{"PSU-Accept-Encoding", p.AcceptEncoding, nil, ""},
		{"PSU-Accept-Language", p.AcceptLanguage, nil, ""},
		{"PSU-Http-Method", p.HTTPMethod, method, "GET, POST, PUT, PATCH or DELETE"},
		{"PSU-Device-ID", p.DeviceID, uuidRE.MatchString, "a UUID"},
		{"PSU-Geo-Location", p.GeoLocation, geoRE.MatchString, "GEO:<lat>;<lon> with six decimals"},
		{"PSU-ID-Type", p.IDType, nil, ""},
		{"PSU-Corporate-ID", p.CorporateID, nil, ""},
		{"PSU-Corporate-ID-Type", p.CorporateIDType, nil, ""},
	} {
		if err := set(f.name, f.v, f.check, f.what); err != nil {
			return err
		}
	}
	psuID := p.ID
	if p.Session != nil {
		if psuID != "" && psuID != p.Session.PSUID {
			return inputErr("PSU-ID", "it differs from the session's psu-id: use the session's")
		}
		psuID = p.Session.PSUID
		if err := set("TPP-Session-ID", p.Session.TPPSessionID.Reveal(), nil, ""); err != nil {
			return inputErr("TPP-Session-ID", "the session id is malformed: log in at the bank again")
		}
	} else if c.cfg.Profile.PSUSession && !sessionOptional {
		return inputErr("session", "%s needs a PSU session first: establish one (BuildEstablishSession)", c.cfg.Profile.Name)
	}
	if err := set("PSU-ID", psuID, nil, ""); err != nil {
		return err
	}
	if !p.Token.IsZero() {
		if err := headerValue(p.Token.Reveal()); err != nil {
			return inputErr("Authorization", "the access token is malformed: get a new one")
		}
		h.Set("Authorization", "Bearer "+p.Token.Reveal())
	}
	return nil
}

// build puts together the headers, signs, and returns the request.
func (c *Client) build(op Op, method string, u *url.URL, body []byte, call Call, f buildFlags) (*Request, error) {
	if op != OpEstablishSession && c.cfg.Profile.PSUSession && call.PSU.Session == nil {
		return nil, inputErr("session", "%s needs a PSU session first: establish one (BuildEstablishSession)", c.cfg.Profile.Name)
	}
	h := http.Header{}
	rid, err := c.newRequestID()
	if err != nil {
		return nil, err
	}
	h.Set("X-Request-ID", rid)
	h.Set("Date", c.clock().UTC().Format(http.TimeFormat))
	h.Set("Accept", "application/json")
	if body != nil {
		h.Set("Content-Type", "application/json")
	}
	if err := c.psuHeaders(h, call.PSU, op == OpEstablishSession); err != nil {
		return nil, err
	}
	if f.redirect {
		redir, nok := c.cfg.RedirectURI, c.cfg.NokRedirectURI
		if call.RedirectURI != "" {
			redir = call.RedirectURI
		}
		if call.NokRedirectURI != "" {
			nok = call.NokRedirectURI
		}
		for _, r := range []struct{ name, v string }{{"TPP-Redirect-URI", redir}, {"TPP-Nok-Redirect-URI", nok}} {
			if r.v == "" {
				continue
			}
			if err := checkRedirectURI(r.v); err != nil {
				return nil, inputErr(r.name, "it %v", err)
			}
			h.Set(r.name, r.v)
		}
		if call.PreferRedirect != nil {
			h.Set("TPP-Redirect-Preferred", strconv.FormatBool(*call.PreferRedirect))
		}
		if call.PreferDecoupled != nil {
			h.Set("TPP-Decoupled-Preferred", strconv.FormatBool(*call.PreferDecoupled))
		}
	}
	h.Set("TPP-Signature-Certificate", c.certB64)
	sig, err := c.signer.Sign(method, u.RequestURI(), h, body)
	if err != nil {
		return nil, fmt.Errorf("xs2a %s: %w", op, err)
	}
	return &Request{
		Op: op, Method: method, URL: u.String(), Header: h, Body: body, RequestID: rid,
		SideEffects: f.sideEffects, Reconcile: f.reconcile, Sensitive: f.sensitive, Signature: sig,
	}, nil
}
