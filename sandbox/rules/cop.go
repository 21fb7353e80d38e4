package rules

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Confirmation of Payee (uae-confirmation-of-payee-openapi.yaml v2.1), rule 41. The request
// `message` of /discovery is AEConfirmationDiscoveryRequest, of /confirmation
// AEAccountConfirmationRequest; both closed at every level (additionalProperties: false).

// CoPAccount is AEConfirmationOfPayeeCreditorAccount.
type CoPAccount struct {
	SchemeName     *string `json:"SchemeName"`
	Identification *string `json:"Identification"`
}

// CoPName is AEAccountNameConfirmationProperties: one of a personal or a business name.
type CoPName struct {
	FullName     *string `json:"FullName"`
	GivenName    *string `json:"GivenName"`
	LastName     *string `json:"LastName"`
	BusinessName *string `json:"BusinessName"`
}

// CoPConfirmationData is AEAccountConfirmationRequestProperties.
type CoPConfirmationData struct {
	SchemeName     *string  `json:"SchemeName"`
	Identification *string  `json:"Identification"`
	Name           *CoPName `json:"Name"`
}

// CoPRequest is a checked CoP request: the IBAN, and for /confirmation the name and whether it
// is a business name.
type CoPRequest struct {
	IBAN     string
	Name     string
	Business bool
}

// CoPDiscoveryRequest checks a /discovery `message`: {Data:{SchemeName: IBAN, Identification}}
// and nothing else; the IBAN must be a valid UAE IBAN.
func CoPDiscoveryRequest(msg []byte) (*CoPRequest, error) {
	d, err := copData[CoPAccount](msg)
	if err != nil {
		return nil, err
	}
	iban, err := copAccount(d.SchemeName, d.Identification)
	if err != nil {
		return nil, err
	}
	return &CoPRequest{IBAN: iban}, nil
}

// copData decodes a CoP request's `message` strictly and returns its required Data.
func copData[T any](msg []byte) (*T, error) {
	var w struct {
		Data *T `json:"Data"`
	}
	if err := DecodeStrict(msg, &w, "message"); err != nil {
		return nil, decodeViolation(err, 41, CodeBodyInvalidFormat)
	}
	if w.Data == nil {
		return nil, violation(41, CodeBodyInvalidFormat, "message.Data", "Data is required")
	}
	return w.Data, nil
}

// CoPConfirmationRequest checks a /confirmation `message`: {Data:{SchemeName, Identification,
// Name}} where Name is exactly one of {FullName, GivenName?, LastName?} or {BusinessName}.
func CoPConfirmationRequest(msg []byte) (*CoPRequest, error) {
	d, err := copData[CoPConfirmationData](msg)
	if err != nil {
		return nil, err
	}
	iban, err := copAccount(d.SchemeName, d.Identification)
	if err != nil {
		return nil, err
	}
	n := d.Name
	if n == nil {
		return nil, violation(41, CodeBodyInvalidFormat, "message.Data.Name", "Name is required")
	}
	text := func(path string, v *string, max int) error {
		if v == nil {
			return nil
		}
		if *v == "" || utf8.RuneCountInString(*v) > max {
			return violation(41, CodeBodyInvalidFormat, path, "must be 1–%d characters", max)
		}
		if strings.IndexFunc(*v, unicode.IsControl) >= 0 {
			return violation(41, CodeBodyInvalidFormat, path, "must not contain control characters")
		}
		return nil
	}
	personal := n.FullName != nil || n.GivenName != nil || n.LastName != nil
	switch {
	case personal && n.BusinessName != nil:
		return nil, violation(41, CodeBodyInvalidFormat, "message.Data.Name", "Name must be a personal or a business name, not both (oneOf)")
	case n.BusinessName != nil:
		if err := text("message.Data.Name.BusinessName", n.BusinessName, 140); err != nil {
			return nil, err
		}
		return &CoPRequest{IBAN: iban, Name: *n.BusinessName, Business: true}, nil
	case n.FullName == nil:
		return nil, violation(41, CodeBodyInvalidFormat, "message.Data.Name.FullName", "FullName (or BusinessName) is required")
	}
	for _, f := range []struct {
		path string
		v    *string
		max  int
	}{{"message.Data.Name.FullName", n.FullName, 140}, {"message.Data.Name.GivenName", n.GivenName, 70}, {"message.Data.Name.LastName", n.LastName, 70}} {
		if err := text(f.path, f.v, f.max); err != nil {
			return nil, err
		}
	}
	return &CoPRequest{IBAN: iban, Name: *n.FullName}, nil
}

func copAccount(scheme, id *string) (string, error) {
	if scheme == nil || *scheme != "IBAN" {
		return "", violation(41, CodeBodyInvalidFormat, "message.Data.SchemeName", "SchemeName must be IBAN")
	}
	if id == nil || *id == "" || len(*id) > 34 {
		return "", violation(41, CodeBodyInvalidFormat, "message.Data.Identification", "Identification must be 1–34 characters")
	}
	if err := CheckIBAN(*id); err != nil {
		return "", violation(41, CodeBodyInvalidFormat, "message.Data.Identification", "Identification is not a valid UAE IBAN")
	}
	return *id, nil
}

// NameMatch compares the name asked with the holder's name the way the sandbox's CoP does
// ([SIM-CHOICE]; the standard leaves matching to the LFI): equal after folding case and
// spaces is a match; a name within two edits of the holder's, or the same words in another
// order, is a close match; anything else is no match.
func NameMatch(asked, holder string) string {
	a, h := foldName(asked), foldName(holder)
	switch {
	case a == h:
		return "ConfirmationOfPayee.Yes"
	case editDistance(a, h) <= 2 || sameWords(a, h):
		return "ConfirmationOfPayee.Partial"
	}
	return "ConfirmationOfPayee.No"
}

func foldName(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

func sameWords(a, b string) bool {
	wa, wb := strings.Fields(a), strings.Fields(b)
	if len(wa) != len(wb) || len(wa) < 2 {
		return false
	}
	count := map[string]int{}
	for _, w := range wa {
		count[w]++
	}
	for _, w := range wb {
		if count[w]--; count[w] < 0 {
			return false
		}
	}
	return true
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 200 || len(rb) > 200 {
		return 1 << 30
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
