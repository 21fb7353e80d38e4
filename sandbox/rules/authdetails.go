package rules

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"time"
)

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Permission values of a service-initiation consent (rule 16).
var consentPermissions = []string{"ReadAccountsBasic", "ReadAccountsDetail", "ReadBalances", "ReadRefundAccount"}

// AuthorizationDetails validates the request object's authorization_details
// claim (the whole array) as a Delegated SCA consent: rules 10–16. Codes are
// OAuth (invalid_request) because the check runs at PAR. Rule 11's "not
// previously used by this client" needs the server's memory: the caller
// checks ConsentID against its store.
func AuthorizationDetails(raw json.RawMessage, now time.Time, opts Options) (*ConsentRequest, error) {
	const root = "authorization_details"
	var items []json.RawMessage
	if err := DecodeStrict(raw, &items, root); err != nil {
		return nil, decodeViolation(err, 10, OAuthInvalidRequest)
	}
	if len(items) != 1 {
		return nil, violation(10, OAuthInvalidRequest, root, "must hold exactly one element")
	}
	elemPath := root + "[0]"
	var d authorizationDetail
	if err := DecodeStrict(items[0], &d, elemPath); err != nil {
		return nil, decodeViolation(err, 10, OAuthInvalidRequest)
	}
	ck := newChecker(10, OAuthInvalidRequest)
	if d.Type != ConsentType {
		ck.fail(elemPath+".type", "must be %s", ConsentType)
	}
	if d.Consent == nil {
		ck.fail(elemPath+".consent", "is required")
		return nil, ck.result()
	}
	if d.Subscription != nil {
		checkSubscription(ck, elemPath+".subscription", d.Subscription)
	}
	c := d.Consent
	p := elemPath + ".consent."
	// Required members (schema, rule 10); each has its own rule below too.
	for _, req := range []struct {
		name    string
		present bool
		rule    int
	}{
		{"ConsentId", c.ConsentId != nil, 11},
		{"ControlParameters", c.ControlParameters != nil, 12},
		{"ExpirationDateTime", c.ExpirationDateTime != nil, 13},
		{"PaymentPurposeCode", c.PaymentPurposeCode != nil, 15},
		{"PersonalIdentifiableInformation", c.PersonalIdentifiableInformation != nil, 10},
	} {
		if !req.present {
			ck.failAs(req.rule, OAuthInvalidRequest, p+req.name, "is required")
		}
	}
	if !ck.ok() {
		return nil, ck.result()
	}
	out := &ConsentRequest{
		ConsentID:             *c.ConsentId,
		IsSingleAuthorization: c.IsSingleAuthorization,
		Permissions:           c.Permissions,
		PaymentPurposeCode:    *c.PaymentPurposeCode,
		SponsoredTPP:          c.SponsoredTPPInformation,
		Subscription:          d.Subscription,
		PIIJWE:                *c.PersonalIdentifiableInformation,
		Raw:                   bytes.Clone(items[0]),
	}

	// Rule 11: ConsentId is a UUID of 1–128 characters.
	ck.rule = 11
	ck.length(p+"ConsentId", *c.ConsentId, 1, 128)
	ck.pattern(p+"ConsentId", *c.ConsentId, uuidPattern, "the UUID format")
	if c.BaseConsentId != nil {
		ck.rule = 10
		ck.length(p+"BaseConsentId", *c.BaseConsentId, 1, 128)
		ck.pattern(p+"BaseConsentId", *c.BaseConsentId, uuidPattern, "the UUID format")
		out.BaseConsentID = *c.BaseConsentId
	}

	// Rule 12: delegated SCA, no schedule.
	ck.rule = 12
	cp := c.ControlParameters
	if cp.IsDelegatedAuthentication == nil || !*cp.IsDelegatedAuthentication {
		ck.fail(p+"ControlParameters.IsDelegatedAuthentication", "must be present and true for a Delegated SCA consent")
	}
	if !isEmptyObject(cp.ConsentSchedule) {
		ck.fail(p+"ControlParameters.ConsentSchedule", "must be exactly {} for a Delegated SCA consent")
	}

	// Rule 13: now < ExpirationDateTime < now + 1 year.
	ck.rule = 13
	exp := ck.dateTime(p+"ExpirationDateTime", *c.ExpirationDateTime)
	if ck.ok() {
		switch {
		case !exp.After(now):
			ck.fail(p+"ExpirationDateTime", "must be in the future")
		case !exp.Before(now.AddDate(1, 0, 0)):
			ck.fail(p+"ExpirationDateTime", "must be less than one year ahead")
		}
		out.ExpirationDateTime = exp
	}

	// Rule 14: now ≤ AuthorizationExpirationDateTime ≤ ExpirationDateTime.
	if c.AuthorizationExpirationDateTime != nil && ck.ok() {
		ck.rule = 14
		aexp := ck.dateTime(p+"AuthorizationExpirationDateTime", *c.AuthorizationExpirationDateTime)
		if ck.ok() {
			switch {
			case aexp.Before(now):
				ck.fail(p+"AuthorizationExpirationDateTime", "must not be in the past")
			case aexp.After(exp):
				ck.fail(p+"AuthorizationExpirationDateTime", "must not be after ExpirationDateTime")
			}
			out.AuthorizationExpirationDateTime = aexp
		}
	}

	// Rule 15: AANI purpose code.
	ck.rule = 15
	checkPurpose(ck, *c.PaymentPurposeCode, p+"PaymentPurposeCode")

	// Rule 16: permissions, no CurrencyRequest, references.
	ck.rule = 16
	if c.Permissions != nil {
		checkPermissions(ck, p+"Permissions", c.Permissions)
	}
	if c.CurrencyRequest != nil {
		ck.fail(p+"CurrencyRequest", "must not be present: domestic payments are AED only")
	}
	ck.optLength(p+"DebtorReference", c.DebtorReference, 1, 35)
	ck.optLength(p+"CreditorReference", c.CreditorReference, 1, 35)
	if c.DebtorReference != nil {
		out.DebtorReference = *c.DebtorReference
	}
	if c.CreditorReference != nil {
		out.CreditorReference = *c.CreditorReference
	}

	// Schema leftovers (rule 10).
	ck.rule = 10
	if s := c.SponsoredTPPInformation; s != nil {
		ck.length(p+"SponsoredTPPInformation.Name", s.Name, 1, 50)
		ck.length(p+"SponsoredTPPInformation.Identification", s.Identification, 1, 50)
	}
	if *c.PersonalIdentifiableInformation == "" {
		ck.fail(p+"PersonalIdentifiableInformation", "must be the compact JWE of the consent PII")
	}
	if !ck.ok() {
		return nil, ck.result()
	}
	return out, nil
}

func checkPermissions(ck *checker, path string, perms []string) {
	if len(perms) == 0 {
		ck.fail(path, "must not be an empty array")
		return
	}
	seen := map[string]bool{}
	for _, perm := range perms {
		if !slices.Contains(consentPermissions, perm) {
			ck.fail(path, "contains a value outside the Permissions enum")
			return
		}
		if seen[perm] {
			ck.fail(path, "contains a duplicate value")
			return
		}
		seen[perm] = true
	}
	if seen["ReadBalances"] && !seen["ReadAccountsBasic"] && !seen["ReadAccountsDetail"] {
		ck.fail(path, "ReadBalances requires ReadAccountsBasic or ReadAccountsDetail")
	}
}

// NeedsAccountsScope reports whether the permissions require the accounts scope.
func NeedsAccountsScope(perms []string) bool {
	return slices.ContainsFunc(perms, func(p string) bool {
		return p == "ReadAccountsBasic" || p == "ReadAccountsDetail" || p == "ReadBalances"
	})
}

func checkSubscription(ck *checker, path string, s *EventSubscription) {
	if s.Webhook == nil {
		ck.fail(path+".Webhook", "is required")
		return
	}
	ck.require(path+".Webhook.Url", s.Webhook.Url != nil)
	ck.require(path+".Webhook.IsActive", s.Webhook.IsActive != nil)
}

// isEmptyObject reports whether raw is a JSON object with no members.
func isEmptyObject(raw json.RawMessage) bool {
	if raw == nil {
		return false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return false
	}
	return len(m) == 0
}
