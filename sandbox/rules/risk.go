package rules

import (
	"fmt"
	"regexp"
	"time"
)

// Risk enum values (uae-spec §6). AccountType is the union of the two
// standards files' enums ([SIM-CHOICE], rule 20).
var (
	riskAccountTypes   = []string{"CurrentAccount", "Savings", "CreditCard", "Mortgage", "Finance", "Retail", "Corporate"}
	possessionTypes    = []string{"FIDO2SecurityKey", "Passkey", "OTPDevice", "OTPApp", "SMSOTP", "EmailOTP", "PushNotification", "WebauthnToken", "SecureEnclaveKey", "HardwareOTPKey", "TrustedDevice", "Other"}
	knowledgeTypes     = []string{"PIN", "Password", "SecurityQuestion", "SMSOTP", "EmailOTP", "OTPPush", "Other"}
	inherenceTypes     = []string{"Biometric", "Fingerprint", "FaceRecognition", "IrisScan", "VoiceRecognition", "FIDOBiometric", "DeviceBiometrics", "Other"}
	isoDurationPattern = regexp.MustCompile(`^P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$`)
)

// ConsentRisk validates a consent-time Risk block (rule 20): the
// authorization-endpoints schema, every nested object closed (enforced when
// decoding) and enum values checked.
func ConsentRisk(r *Risk) error {
	ck := newChecker(20, CodeResourceInvalidFormat)
	checkRisk(ck, "Risk", r)
	return ck.result()
}

// PaymentRisk validates a payment-time Risk block (rule 20): the
// bank-initiation schema. Closedness is decided when decoding (PaymentPII
// honours Options.OpenNestedPaymentRisk); the values are checked here.
func PaymentRisk(r *Risk) error {
	ck := newChecker(20, CodeResourceInvalidFormat)
	checkRisk(ck, "Risk", r)
	return ck.result()
}

func checkRisk(ck *checker, p string, r *Risk) {
	saved := ck.rule
	ck.rule = 20
	defer func() { ck.rule = saved }()
	if r == nil {
		ck.fail(p, "is required")
		return
	}
	if d := r.DebtorIndicators; d != nil {
		checkDebtorIndicators(ck, p+".DebtorIndicators", d)
	}
	if a := r.DestinationDeliveryAddress; a != nil {
		dp := p + ".DestinationDeliveryAddress"
		ck.optEnum(dp+".RecipientType", a.RecipientType, "Individual", "Corporate")
		checkAddresses(ck, dp+".NationalAddress", a.NationalAddress)
	}
	if t := r.TransactionIndicators; t != nil {
		tp := p + ".TransactionIndicators"
		ck.optEnum(tp+".Channel", t.Channel, "Web", "Mobile")
		ck.optEnum(tp+".ChannelType", t.ChannelType, "ECommerce", "InStore", "InApp", "Telephone", "Mail", "RecurringPayment", "Other")
		ck.optEnum(tp+".SubChannelType", t.SubChannelType, "WebBrowser", "MobileApp", "SmartTV", "WearableDevice", "POSTerminal", "ATM", "KioskTerminal", "Other")
		if pp := t.PaymentProcess; pp != nil {
			q := tp + ".PaymentProcess"
			ck.minInt(q+".TotalDuration", pp.TotalDuration, 0)
			ck.minInt(q+".CurrentSessionAttempts", pp.CurrentSessionAttempts, 1)
			ck.minInt(q+".CurrentSessionFailedAttempts", pp.CurrentSessionFailedAttempts, 0)
			ck.minInt(q+".Last24HourAttempts", pp.Last24HourAttempts, 0)
			ck.minInt(q+".Last24HourFailedAttempts", pp.Last24HourFailedAttempts, 0)
		}
		if m := t.MerchantRisk; m != nil {
			q := tp + ".MerchantRisk"
			ck.optEnum(q+".DeliveryTimeframe", m.DeliveryTimeframe, "ElectronicDelivery", "SameDayShipping", "OvernightShipping", "MoreThan1DayShipping")
			ck.optEnum(q+".ReorderItemsIndicator", m.ReorderItemsIndicator, "FirstTimeOrder", "Reorder")
			ck.optEnum(q+".PreOrderPurchaseIndicator", m.PreOrderPurchaseIndicator, "MerchandiseAvailable", "FutureAvailability")
			ck.optEnum(q+".AddressMatchLevel", m.AddressMatchLevel, "FullMatch", "PartialMatch", "NoMatch", "NotApplicable")
		}
	}
	if c := r.CreditorIndicators; c != nil {
		cp := p + ".CreditorIndicators"
		ck.optEnum(cp+".AccountType", c.AccountType, riskAccountTypes...)
		if c.TradingName != nil {
			checkName(ck, cp+".TradingName", c.TradingName, false)
		}
		for i, id := range c.AdditionalAccountHolderIdentifiers {
			q := fmt.Sprintf("%s.AdditionalAccountHolderIdentifiers[%d]", cp, i)
			ck.enum(q+".SchemeName", id.SchemeName, "EmiratesID", "TradeLicenceNumber")
			ck.length(q+".Identification", id.Identification, 1, -1)
			if id.Name != nil {
				checkName(ck, q+".Name", id.Name, false)
			}
		}
		if m := c.MerchantDetails; m != nil {
			q := cp + ".MerchantDetails"
			ck.optLength(q+".MerchantId", m.MerchantId, 8, 20)
			ck.optLength(q+".MerchantName", m.MerchantName, 1, 350)
			ck.optLength(q+".MerchantSICCode", m.MerchantSICCode, 3, 4)
			ck.optLength(q+".MerchantCategoryCode", m.MerchantCategoryCode, 3, 4)
		}
	}
}

func checkDebtorIndicators(ck *checker, p string, d *DebtorIndicators) {
	if a := d.Authentication; a != nil {
		ap := p + ".Authentication"
		ck.optEnum(ap+".AuthenticationChannel", a.AuthenticationChannel, "App", "Web")
		checkFactor(ck, ap+".PossessionFactor", a.PossessionFactor, possessionTypes)
		checkFactor(ck, ap+".KnowledgeFactor", a.KnowledgeFactor, knowledgeTypes)
		checkFactor(ck, ap+".InherenceFactor", a.InherenceFactor, inherenceTypes)
		ck.optEnum(ap+".ChallengeOutcome", a.ChallengeOutcome, "Pass", "Fail", "NotPerformed")
		ck.optEnum(ap+".AuthenticationFlow", a.AuthenticationFlow, "MFA", "Other")
		ck.optDateTime(ap+".ChallengeDateTime", a.ChallengeDateTime)
	}
	if g := d.GeoLocation; g != nil {
		ck.require(p+".GeoLocation.Latitude", g.Latitude != nil)
		ck.require(p+".GeoLocation.Longitude", g.Longitude != nil)
	}
	if di := d.DeviceInformation; di != nil {
		q := p + ".DeviceInformation"
		ck.optDateTime(q+".LastBindingDateTime", di.LastBindingDateTime)
		if di.BindingDuration != nil && (*di.BindingDuration == "P" || !isoDurationPattern.MatchString(*di.BindingDuration)) {
			ck.fail(q+".BindingDuration", "must be an ISO 8601 duration such as P30D")
		}
		ck.optEnum(q+".BindingStatus", di.BindingStatus, "Active", "Expired", "Revoked", "Suspended")
		ck.optEnum(q+".DeviceType", di.DeviceType, "Mobile", "Desktop", "Tablet", "Wearable", "Other")
		if m := di.DeviceManufacturer; m != nil {
			ck.optLength(q+".DeviceManufacturer.Model", m.Model, 0, 50)
			ck.optLength(q+".DeviceManufacturer.Manufacturer", m.Manufacturer, 0, 50)
		}
		ck.optEnum(q+".ConnectionType", di.ConnectionType, "WiFi", "Cellular", "Other")
		if s := di.ScreenInformation; s != nil {
			ck.optEnum(q+".ScreenInformation.Orientation", s.Orientation, "Portrait", "Landscape")
		}
		if b := di.BatteryStatus; b != nil && b.Level != nil && (*b.Level < 0 || *b.Level > 100) {
			ck.fail(q+".BatteryStatus.Level", "must be between 0 and 100")
		}
		if t := di.TouchSupport; t != nil {
			ck.minInt(q+".TouchSupport.MaxTouchPoints", t.MaxTouchPoints, 0)
		}
		if m := di.MotionSensors; m != nil {
			ck.optEnum(q+".MotionSensors.Status", m.Status, "InMotion", "Stationary")
		}
		for i, v := range di.DeviceEnvironmentContext {
			ck.enum(fmt.Sprintf("%s.DeviceEnvironmentContext[%d]", q, i), v, "VPNDetected", "EmulatorDetected")
		}
	}
	if b := d.BiometricCapabilities; b != nil {
		for i, v := range b.BiometricTypes {
			ck.enum(fmt.Sprintf("%s.BiometricCapabilities.BiometricTypes[%d]", p, i), v, "Fingerprint", "FacialRecognition", "Iris", "VoicePrint", "Other")
		}
	}
	if u := d.UserBehavior; u != nil && u.ScrollBehavior != nil {
		ck.optEnum(p+".UserBehavior.ScrollBehavior.Direction", u.ScrollBehavior.Direction, "Up", "Down", "Both")
	}
	if a := d.AccountRiskIndicators; a != nil {
		q := p + ".AccountRiskIndicators"
		ck.optDateTime(q+".UserOnboardingDateTime", a.UserOnboardingDateTime)
		ck.optDate(q+".LastAccountChangeDate", a.LastAccountChangeDate)
		ck.optDate(q+".LastPasswordChangeDate", a.LastPasswordChangeDate)
		ck.optEnum(q+".SuspiciousActivity", a.SuspiciousActivity, "NoSuspiciousActivity", "SuspiciousActivityDetected")
		if h := a.TransactionHistory; h != nil {
			ck.minInt(q+".TransactionHistory.LastDay", h.LastDay, 0)
			ck.minInt(q+".TransactionHistory.LastYear", h.LastYear, 0)
		}
	}
}

func checkFactor(ck *checker, p string, f *Factor, types []string) {
	if f != nil {
		ck.optEnum(p+".Type", f.Type, types...)
	}
}

// RiskProvesSCA checks that a payment's Risk block proves the TPP's strong
// customer authentication for this payment (DSCA; risk.md minimum): flow
// MFA, outcome Pass, factors of two different categories used, an
// AuthenticationValue, and a ChallengeDateTime no older than maxAge and not
// in the future (beyond the leeway). Code Consent.BusinessRuleViolation,
// rule 20.
func RiskProvesSCA(r *Risk, now time.Time, maxAge time.Duration, opts Options) error {
	const base = "Risk.DebtorIndicators.Authentication"
	ck := newChecker(20, CodeConsentBusinessRule)
	if r == nil || r.DebtorIndicators == nil || r.DebtorIndicators.Authentication == nil {
		ck.fail(base, "is required to prove the TPP's SCA")
		return ck.result()
	}
	a := r.DebtorIndicators.Authentication
	if a.AuthenticationFlow == nil || *a.AuthenticationFlow != "MFA" {
		ck.fail(base+".AuthenticationFlow", "must be MFA")
	}
	if a.ChallengeOutcome == nil || *a.ChallengeOutcome != "Pass" {
		ck.fail(base+".ChallengeOutcome", "must be Pass")
	}
	used := 0
	for _, f := range []*Factor{a.PossessionFactor, a.KnowledgeFactor, a.InherenceFactor} {
		if f != nil && f.IsUsed != nil && *f.IsUsed && f.Type != nil {
			used++
		}
	}
	if used < 2 {
		ck.fail(base, "must show factors of two different categories used (possession, knowledge, inherence)")
	}
	if a.AuthenticationValue == nil || *a.AuthenticationValue == "" {
		ck.fail(base+".AuthenticationValue", "is required")
	}
	if a.ChallengeDateTime == nil {
		ck.fail(base+".ChallengeDateTime", "is required")
		return ck.result()
	}
	at := ck.dateTime(base+".ChallengeDateTime", *a.ChallengeDateTime)
	if ck.ok() {
		switch {
		case at.After(now.Add(opts.leeway())):
			ck.fail(base+".ChallengeDateTime", "is in the future")
		case now.Sub(at) > maxAge:
			ck.fail(base+".ChallengeDateTime", "is older than %s", maxAge)
		}
	}
	return ck.result()
}
