package rules

import (
	"fmt"
	"regexp"
)

var (
	countryPattern = regexp.MustCompile(`^[A-Z]{2}$`)
	copPattern     = regexp.MustCompile(`^.+\..+\..+$`)
)

var addressTypes = []string{"Billing", "Business", "Correspondence", "DeliveryTo", "MailTo", "POBox",
	"Postal", "Permanent", "Residential", "Statement", "Other"}

// checkCreditor applies rule 19 to one creditor (consent entry or the flat
// payment Initiation). Messages name fields, never their values.
func checkCreditor(ck *checker, path string, c *DomesticCreditor, bics map[string]string) {
	saved := ck.rule
	ck.rule = 19
	defer func() { ck.rule = saved }()
	acct := c.CreditorAccount
	if acct == nil {
		ck.fail(path+".CreditorAccount", "is required")
		return
	}
	ap := path + ".CreditorAccount"
	if acct.SchemeName != "IBAN" {
		ck.fail(ap+".SchemeName", "must be IBAN")
	}
	if err := CheckIBAN(acct.Identification); err != nil {
		ck.fail(ap+".Identification", "%v", err)
	}
	if acct.Name == nil {
		ck.fail(ap+".Name", "is required")
	} else {
		checkName(ck, ap+".Name", acct.Name, true)
	}
	if acct.TradingName != nil {
		checkName(ck, ap+".TradingName", acct.TradingName, false)
	}
	ck.optEnum(ap+".Type", acct.Type, "Individual", "Merchant", "Business", "Charity", "GovernmentBody", "Other")

	if ag := c.CreditorAgent; ag != nil {
		gp := path + ".CreditorAgent"
		switch ag.SchemeName {
		case "BICFI":
			if ck.ok() { // the BIC check needs a valid IBAN
				if err := checkBIC(ag.Identification, acct.Identification, bics); err != nil {
					ck.fail(gp+".Identification", "%v", err)
				}
			}
		case "Other":
			ck.length(gp+".Identification", ag.Identification, 1, -1)
		default:
			ck.fail(gp+".SchemeName", "must be BICFI or Other")
		}
		ck.optLength(gp+".Name", ag.Name, 1, 140)
		checkAddresses(ck, gp+".PostalAddress", ag.PostalAddress)
	}
	if party := c.Creditor; party != nil {
		pp := path + ".Creditor"
		ck.optLength(pp+".Name", party.Name, 1, 140)
		checkAddresses(ck, pp+".PostalAddress", party.PostalAddress)
	}
	if cop := c.ConfirmationOfPayeeResponse; cop != nil && !copPattern.MatchString(*cop) {
		ck.fail(path+".ConfirmationOfPayeeResponse", "must be the raw CoP JWS (three dot-separated parts)")
	}
}

// checkName checks an {en?, ar?} name: each ≤70; when needed, at least one
// of them non-empty (rule 19; minProperties 1 for the debtor account).
func checkName(ck *checker, path string, n *LocalizedName, needOne bool) {
	ck.optLength(path+".en", n.En, 0, 70)
	ck.optLength(path+".ar", n.Ar, 0, 70)
	if !needOne {
		return
	}
	nonEmpty := (n.En != nil && *n.En != "") || (n.Ar != nil && *n.Ar != "")
	if !nonEmpty {
		ck.fail(path, "must have a non-empty en or ar value")
	}
}

// checkAddresses checks an AEAddress array (nil = absent; present = 1+ items).
// AddressLine items are 1–70 characters at both times: the bank-initiation
// file says so, the authorization-endpoints file leaves them unbounded, and
// the bank takes the stricter reading.
func checkAddresses(ck *checker, path string, addrs []Address) {
	if addrs == nil {
		return
	}
	if len(addrs) == 0 {
		ck.fail(path, "must have at least one address")
		return
	}
	for i := range addrs {
		a := &addrs[i]
		p := fmt.Sprintf("%s[%d]", path, i)
		ck.enum(p+".AddressType", a.AddressType, addressTypes...)
		if len(a.AddressLine) < 1 || len(a.AddressLine) > 7 {
			ck.fail(p+".AddressLine", "must have 1 to 7 lines")
		}
		for j, line := range a.AddressLine {
			ck.length(fmt.Sprintf("%s.AddressLine[%d]", p, j), line, 1, 70)
		}
		ck.optLength(p+".BuildingNumber", a.BuildingNumber, 1, 16)
		ck.optLength(p+".BuildingName", a.BuildingName, 1, 140)
		ck.optLength(p+".Floor", a.Floor, 1, 70)
		ck.optLength(p+".StreetName", a.StreetName, 1, 140)
		ck.optLength(p+".DistrictName", a.DistrictName, 1, 140)
		ck.optLength(p+".PostBox", a.PostBox, 1, 16)
		ck.optLength(p+".TownName", a.TownName, 1, 140)
		ck.pattern(p+".Country", a.Country, countryPattern, "two uppercase letters (ISO 3166)")
	}
}

// MatchCreditor applies rule 32: the payment creditor must equal the single
// consent creditor, or one of the 2–10 consent creditors, on
// CreditorAccount.SchemeName, Identification and Name (same keys,
// byte-identical values). An open consent (no creditors) matches anything.
// Mismatch → Consent.BusinessRuleViolation.
func MatchCreditor(consent *ConsentPIIData, payment *PaymentPIIData) error {
	list := consent.Creditors()
	if len(list) == 0 {
		return nil
	}
	if payment == nil || payment.Initiation == nil || payment.Initiation.CreditorAccount == nil {
		return violation(32, CodeConsentBusinessRule, "Initiation.CreditorAccount", "the payment names no creditor account")
	}
	got := payment.Initiation.CreditorAccount
	for i := range list {
		if want := list[i].CreditorAccount; want != nil && sameAccount(want, got) {
			return nil
		}
	}
	if len(list) == 1 {
		return violation(32, CodeConsentBusinessRule, "Initiation.CreditorAccount",
			"creditor does not exactly match the consent's creditor (SchemeName, Identification, Name)")
	}
	return violation(32, CodeConsentBusinessRule, "Initiation.CreditorAccount",
		"creditor does not exactly match any of the consent's creditors (SchemeName, Identification, Name)")
}

func sameAccount(a, b *CreditorAccount) bool {
	return a.SchemeName == b.SchemeName && a.Identification == b.Identification && sameName(a.Name, b.Name)
}

func sameName(a, b *LocalizedName) bool {
	if a == nil || b == nil {
		return a == b
	}
	return sameOpt(a.En, b.En) && sameOpt(a.Ar, b.Ar)
}

func sameOpt(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}
