package xs2a

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"

	"github.com/payterm/payterm/internal/safetext"
)

// SCAMethod is one authentication method the bank offers (Embedded/Decoupled).
type SCAMethod struct {
	ID          string // authenticationMethodId
	Type        string // authenticationType (SMS_OTP, CHIP_OTP, PUSH_OTP, …)
	Version     string
	Name        string
	Explanation string
}

// Challenge is the challengeData of an Embedded SCA step.
type Challenge struct {
	OTPMaxLength          int
	OTPFormat             string // characters | integer
	AdditionalInformation string
	ImageLink             Link // an API-host or https link; zero when absent
}

// Initiation is a decoded 201 to payment initiation.
type Initiation struct {
	PaymentID    string
	Status       TransactionStatus
	SCAStatus    SCAStatus // "" when absent
	Approach     Approach  // from ASPSP-SCA-Approach; "" when absent
	Location     string
	Links        Links
	Methods      []SCAMethod
	ChosenMethod *SCAMethod
	Challenge    *Challenge
	PSUMessage   string
	Messages     []Message
}

// Authorisation is a decoded answer of start authorisation (201), update PSU data (200) or
// get SCA status (200).
type Authorisation struct {
	AuthorisationID string // start authorisation only
	SCAStatus       SCAStatus
	Approach        Approach
	Links           Links
	Methods         []SCAMethod
	ChosenMethod    *SCAMethod
	Challenge       *Challenge
	PSUMessage      string
	Messages        []Message
}

// PaymentStatus is a decoded 200 of get transaction status.
type PaymentStatus struct {
	Status         TransactionStatus
	FundsAvailable *bool
	PSUMessage     string
	Links          Links
	Messages       []Message
}

// PaymentInfo is the part of a decoded 200 of get payment the core uses (the rest is the
// payment it sent).
type PaymentInfo struct {
	Status   TransactionStatus
	Currency string
	Amount   string // checked with the anchored BG rule
}

// Cancellation is a decoded DELETE answer: 204 (Cancelled) or 202 (an authorisation of the
// cancellation is needed: Links.startAuthorisation…).
type Cancellation struct {
	Cancelled bool
	Status    TransactionStatus // 202 only
	Links     Links
	Messages  []Message
}

var (
	codeRE = regexp.MustCompile(`^[A-Z0-9_]{1,64}$`)
	pathRE = regexp.MustCompile(`^[A-Za-z0-9_.\[\]/-]{1,256}$`)
)

const maxText = 500

// cleanText is the one door for bank text: unsafe runes become U+FFFD, one line, ≤ 500 runes.
func cleanText(s string) string { return safetext.Short(s, maxText) }

// resourceID accepts printable ASCII without spaces, up to 512 characters (SpareBank 1's ids
// look like enc!!H6fD9…==).
func resourceID(what, s string) (string, error) {
	if s == "" || len(s) > 512 {
		return "", fmt.Errorf("%s is empty or longer than 512 characters", what)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] >= 0x7f {
			return "", fmt.Errorf("%s holds a space, control or non-ASCII character", what)
		}
	}
	return s, nil
}

type tppMessage struct {
	Category string `json:"category"`
	Code     string `json:"code"`
	Path     string `json:"path"`
	Text     string `json:"text"`
}

func cleanMessages(in []tppMessage) []Message {
	var out []Message
	for i, m := range in {
		if i == 20 {
			break
		}
		out = append(out, newMessage(m.Category, m.Code, m.Path, m.Text))
	}
	return out
}

func newMessage(cat, code, path, text string) Message {
	m := Message{Text: cleanText(text)}
	if cat == "ERROR" || cat == "WARNING" {
		m.Category = cat
	}
	if codeRE.MatchString(code) {
		m.Code = code
	}
	if pathRE.MatchString(path) {
		m.Path = path
	}
	return m
}

type scaMethodJSON struct {
	AuthenticationType     string `json:"authenticationType"`
	AuthenticationVersion  string `json:"authenticationVersion"`
	AuthenticationMethodID string `json:"authenticationMethodId"`
	Name                   string `json:"name"`
	Explanation            string `json:"explanation"`
}

func (m scaMethodJSON) clean() (SCAMethod, error) {
	id, err := resourceID("authenticationMethodId", m.AuthenticationMethodID)
	if err != nil {
		return SCAMethod{}, err
	}
	out := SCAMethod{ID: id, Name: safetext.Short(m.Name, 70), Explanation: safetext.Short(m.Explanation, 140), Version: safetext.Short(m.AuthenticationVersion, 35)}
	if codeRE.MatchString(m.AuthenticationType) {
		out.Type = m.AuthenticationType
	}
	return out, nil
}

type challengeJSON struct {
	ImageLink             string   `json:"imageLink"`
	OTPMaxLength          int      `json:"otpMaxLength"`
	OTPFormat             string   `json:"otpFormat"`
	AdditionalInformation string   `json:"additionalInformation"`
	Data                  []string `json:"data"`
}

// scaBody is what initiation and authorisation answers share.
type scaBody struct {
	TransactionStatus *string         `json:"transactionStatus"`
	PaymentID         *string         `json:"paymentId"`
	AuthorisationID   *string         `json:"authorisationId"`
	SCAStatus         *string         `json:"scaStatus"`
	Links             json.RawMessage `json:"_links"`
	SCAMethods        []scaMethodJSON `json:"scaMethods"`
	ChosenSCAMethod   *scaMethodJSON  `json:"chosenScaMethod"`
	ChallengeData     *challengeJSON  `json:"challengeData"`
	PSUMessage        string          `json:"psuMessage"`
	TPPMessages       []tppMessage    `json:"tppMessages"`
	TPPMessage        []tppMessage    `json:"tppMessage"` // BOG's spelling
	FundsAvailable    *bool           `json:"fundsAvailable"`
	InstructedAmount  *struct {
		Currency string `json:"currency"`
		Amount   string `json:"amount"`
	} `json:"instructedAmount"`
	AuthorisationIDs []string `json:"authorisationIds"`
}

// decodeOne reads exactly one JSON object: trailing data is refused.
func decodeOne(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return errors.New("the body is not the JSON object expected")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON body")
	}
	return nil
}

func (s *scaBody) methods() ([]SCAMethod, *SCAMethod, error) {
	var out []SCAMethod
	for i, m := range s.SCAMethods {
		if i == 20 {
			break
		}
		c, err := m.clean()
		if err != nil {
			return nil, nil, err
		}
		out = append(out, c)
	}
	var chosen *SCAMethod
	if s.ChosenSCAMethod != nil {
		c, err := s.ChosenSCAMethod.clean()
		if err != nil {
			return nil, nil, err
		}
		chosen = &c
	}
	return out, chosen, nil
}

func (s *scaBody) challenge(base *url.URL) (*Challenge, error) {
	if s.ChallengeData == nil {
		return nil, nil
	}
	c := &Challenge{OTPMaxLength: s.ChallengeData.OTPMaxLength, AdditionalInformation: cleanText(s.ChallengeData.AdditionalInformation)}
	if c.OTPMaxLength < 0 || c.OTPMaxLength > 64 {
		return nil, errors.New("challengeData.otpMaxLength out of range")
	}
	if f := s.ChallengeData.OTPFormat; f == "characters" || f == "integer" {
		c.OTPFormat = f
	}
	if s.ChallengeData.ImageLink != "" {
		abs, err := resolveHref("imageLink", s.ChallengeData.ImageLink, base)
		if err != nil {
			return nil, err
		}
		c.ImageLink = Link{Name: "imageLink", Href: abs}
	}
	return c, nil
}

func (s *scaBody) messages() []Message {
	if len(s.TPPMessages) > 0 {
		return cleanMessages(s.TPPMessages)
	}
	return cleanMessages(s.TPPMessage)
}

func parseApproach(v string) (Approach, error) {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "":
		return "", nil
	case "REDIRECT":
		return Redirect, nil
	case "OAUTH":
		return OAuth, nil
	case "DECOUPLED":
		return Decoupled, nil
	case "EMBEDDED":
		return Embedded, nil
	}
	return "", fmt.Errorf("ASPSP-SCA-Approach %q is not a BG value", clip(v))
}

func decodeInitiation(b []byte, base *url.URL, approach, location string) (*Initiation, error) {
	var s scaBody
	if err := decodeOne(b, &s); err != nil {
		return nil, err
	}
	if s.TransactionStatus == nil || s.PaymentID == nil || s.Links == nil {
		return nil, errors.New("transactionStatus, paymentId or _links is missing")
	}
	out := &Initiation{PSUMessage: cleanText(s.PSUMessage), Messages: s.messages()}
	var err error
	if out.Status, err = ParseTransactionStatus(*s.TransactionStatus); err != nil {
		return nil, err
	}
	if out.PaymentID, err = resourceID("paymentId", *s.PaymentID); err != nil {
		return nil, err
	}
	if s.SCAStatus != nil {
		if out.SCAStatus, err = ParseSCAStatus(*s.SCAStatus); err != nil {
			return nil, err
		}
	}
	if out.Links, err = decodeLinks(s.Links, base); err != nil {
		return nil, err
	}
	if out.Methods, out.ChosenMethod, err = s.methods(); err != nil {
		return nil, err
	}
	if out.Challenge, err = s.challenge(base); err != nil {
		return nil, err
	}
	if out.Approach, err = parseApproach(approach); err != nil {
		return nil, err
	}
	if location != "" {
		abs, err := resolveHref("Location", location, base)
		if err != nil {
			return nil, err
		}
		out.Location = abs
	}
	return out, nil
}

func decodeAuthorisation(b []byte, base *url.URL, approach string, wantID bool) (*Authorisation, error) {
	var s scaBody
	if err := decodeOne(b, &s); err != nil {
		return nil, err
	}
	if s.SCAStatus == nil {
		// BG's own decoupled example spells it "scatransactionStatus": never guessed at.
		return nil, errors.New("scaStatus is missing")
	}
	out := &Authorisation{PSUMessage: cleanText(s.PSUMessage), Messages: s.messages()}
	var err error
	if out.SCAStatus, err = ParseSCAStatus(*s.SCAStatus); err != nil {
		return nil, err
	}
	if wantID {
		if s.AuthorisationID == nil {
			return nil, errors.New("authorisationId is missing")
		}
		if out.AuthorisationID, err = resourceID("authorisationId", *s.AuthorisationID); err != nil {
			return nil, err
		}
	}
	if out.Links, err = decodeLinks(s.Links, base); err != nil {
		return nil, err
	}
	if out.Methods, out.ChosenMethod, err = s.methods(); err != nil {
		return nil, err
	}
	if out.Challenge, err = s.challenge(base); err != nil {
		return nil, err
	}
	if out.Approach, err = parseApproach(approach); err != nil {
		return nil, err
	}
	return out, nil
}

func decodeStatus(b []byte, base *url.URL) (*PaymentStatus, error) {
	var s scaBody
	if err := decodeOne(b, &s); err != nil {
		return nil, err
	}
	if s.TransactionStatus == nil {
		return nil, errors.New("transactionStatus is missing")
	}
	out := &PaymentStatus{FundsAvailable: s.FundsAvailable, PSUMessage: cleanText(s.PSUMessage), Messages: s.messages()}
	var err error
	if out.Status, err = ParseTransactionStatus(*s.TransactionStatus); err != nil {
		return nil, err
	}
	if out.Links, err = decodeLinks(s.Links, base); err != nil {
		return nil, err
	}
	return out, nil
}

func decodePayment(b []byte) (*PaymentInfo, error) {
	var s scaBody
	if err := decodeOne(b, &s); err != nil {
		return nil, err
	}
	out := &PaymentInfo{}
	if s.TransactionStatus != nil {
		st, err := ParseTransactionStatus(*s.TransactionStatus)
		if err != nil {
			return nil, err
		}
		out.Status = st
	}
	if s.InstructedAmount == nil {
		return nil, errors.New("instructedAmount is missing")
	}
	if !currencyRE.MatchString(s.InstructedAmount.Currency) || !amountRE.MatchString(s.InstructedAmount.Amount) {
		return nil, errors.New("instructedAmount is not a BG currency and amount")
	}
	out.Currency, out.Amount = s.InstructedAmount.Currency, s.InstructedAmount.Amount
	return out, nil
}

func decodeCancellation(b []byte, base *url.URL) (*Cancellation, error) {
	var s scaBody
	if err := decodeOne(b, &s); err != nil {
		return nil, err
	}
	if s.TransactionStatus == nil {
		return nil, errors.New("transactionStatus is missing")
	}
	out := &Cancellation{Messages: s.messages()}
	var err error
	if out.Status, err = ParseTransactionStatus(*s.TransactionStatus); err != nil {
		return nil, err
	}
	if out.Links, err = decodeLinks(s.Links, base); err != nil {
		return nil, err
	}
	return out, nil
}

func decodeAuthorisationList(b []byte) ([]string, error) {
	var s scaBody
	if err := decodeOne(b, &s); err != nil {
		return nil, err
	}
	if s.AuthorisationIDs == nil {
		return nil, errors.New("authorisationIds is missing")
	}
	if len(s.AuthorisationIDs) > 100 {
		return nil, errors.New("more than 100 authorisations")
	}
	out := make([]string, 0, len(s.AuthorisationIDs))
	for _, id := range s.AuthorisationIDs {
		v, err := resourceID("authorisationId", id)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// errorBody holds every error shape's members; the content type and the profile say which
// are read.
type errorBody struct {
	TPPMessages []tppMessage    `json:"tppMessages"`
	TPPMessage  []tppMessage    `json:"tppMessage"`
	Links       json.RawMessage `json:"_links"`
	// RFC 7807 (application/problem+json)
	Type             string `json:"type"`
	Title            string `json:"title"`
	Detail           string `json:"detail"`
	Code             string `json:"code"`
	AdditionalErrors []struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Code   string `json:"code"`
	} `json:"additionalErrors"`
	// SpareBank 1
	ID      json.RawMessage `json:"id"`
	System  string          `json:"system"`
	Status  json.RawMessage `json:"status"`
	Message string          `json:"message"`
}

// decodeError fills e from an error body. A body it cannot read leaves e without messages:
// the status alone then speaks.
func decodeError(e *BankError, contentType string, b []byte, base *url.URL) {
	var s errorBody
	if len(b) == 0 || decodeOne(b, &s) != nil {
		return
	}
	problem := strings.HasPrefix(strings.ToLower(contentType), "application/problem+json")
	switch {
	case e.Shape == ShapeSB1 && !problem && len(s.TPPMessages) == 0:
		text := s.Message
		e.Messages = []Message{newMessage("ERROR", s.Code, "", text)}
		e.System = safetext.Short(s.System, 35)
		var n int
		if json.Unmarshal(s.Status, &n) == nil && n >= 100 && n <= 599 {
			e.BodyStatus = n
		}
		var id string
		if json.Unmarshal(s.ID, &id) == nil {
			if v, err := resourceID("id", id); err == nil && len(v) <= 64 {
				e.BankID = v
			}
		}
	case problem:
		text := s.Detail
		if text == "" {
			text = s.Title
		}
		e.Messages = []Message{newMessage("ERROR", s.Code, "", text)}
		for i, a := range s.AdditionalErrors {
			if i == 20 {
				break
			}
			t := a.Detail
			if t == "" {
				t = a.Title
			}
			e.Messages = append(e.Messages, newMessage("ERROR", a.Code, "", t))
		}
	default:
		if len(s.TPPMessages) > 0 {
			e.Messages = cleanMessages(s.TPPMessages)
		} else {
			e.Messages = cleanMessages(s.TPPMessage)
		}
	}
	if links, err := decodeLinks(s.Links, base); err == nil {
		e.Links = links
	}
}
