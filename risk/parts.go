package risk

import (
	"errors"
	"regexp"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"
)

// authentication turns SCA facts into DebtorIndicators.Authentication.
func authentication(f SCAFacts, now time.Time) (*Authentication, error) {
	a := &Authentication{AuthenticationChannel: authenticationChannelApp}
	switch f.Outcome {
	case OutcomePass, OutcomeFail:
		if f.ChallengeTime.IsZero() {
			return nil, invalid("SCA.ChallengeTime", "required when a challenge ran")
		}
		if f.ChallengeTime.After(now) {
			return nil, invalid("SCA.ChallengeTime", "after Now")
		}
	case OutcomeNotPerformed:
		if !f.ChallengeTime.IsZero() || f.Knowledge != "" || f.Possession != "" || f.Inherence != "" || f.AuthenticationValue != "" {
			return nil, invalid("SCA", "facts given for a challenge that was not performed")
		}
		a.ChallengeOutcome = string(f.Outcome)
		return a, nil
	default:
		return nil, invalid("SCA.Outcome", "not Pass, Fail or NotPerformed")
	}
	if f.Knowledge != "" && !slices.Contains(knowledgeTypes, string(f.Knowledge)) {
		return nil, invalid("SCA.Knowledge", "not a KnowledgeFactor type")
	}
	if f.Possession != "" && !slices.Contains(possessionTypes, string(f.Possession)) {
		return nil, invalid("SCA.Possession", "not a PossessionFactor type")
	}
	if f.Inherence != "" && !slices.Contains(inherenceTypes, string(f.Inherence)) {
		return nil, invalid("SCA.Inherence", "not an InherenceFactor type")
	}
	if f.AuthenticationValue != "" && !isCompactJWS(f.AuthenticationValue) {
		return nil, invalid("SCA.AuthenticationValue", "not a compact JWS")
	}

	a.KnowledgeFactor = factor(string(f.Knowledge))
	a.PossessionFactor = factor(string(f.Possession))
	if f.Inherence != "" {
		// Stated only when used: see factor.
		a.InherenceFactor = factor(string(f.Inherence))
	}
	a.ChallengeOutcome = string(f.Outcome)
	// MFA means elements from at least two different categories (PSD2 RTS
	// Art. 4). SMSOTP and EmailOTP appear in both the knowledge and the
	// possession enums; named in both, they are one element, not two.
	categories := 0
	for _, k := range []string{string(f.Knowledge), string(f.Possession), string(f.Inherence)} {
		if k != "" {
			categories++
		}
	}
	if f.Knowledge != "" && string(f.Knowledge) == string(f.Possession) && f.Knowledge != "Other" {
		categories--
	}
	a.AuthenticationFlow = flowOther
	if categories >= 2 {
		a.AuthenticationFlow = flowMFA
	}
	a.AuthenticationValue = f.AuthenticationValue
	a.ChallengeDateTime = timestamp(f.ChallengeTime)
	return a, nil
}

// factor states a category as used with its kind, or as not used: both
// are known facts for knowledge and possession, which every payterm SCA
// offers. InherenceFactor is stated only when used: payterm has no
// biometric element, and that is better said by omission than by an
// IsUsed:false that a bank might read as "offered and declined".
func factor(kind string) *Factor {
	if kind == "" {
		return &Factor{IsUsed: ptr(false)}
	}
	return &Factor{IsUsed: ptr(true), Type: kind}
}

var jwsSegment = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// maxJWS bounds AuthenticationValue; a P-256 JWS over the dynamic-linking
// payload is well under 1 kB.
const maxJWS = 8 << 10

func isCompactJWS(s string) bool {
	if len(s) > maxJWS {
		return false
	}
	n := 0
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if !jwsSegment.MatchString(s[start:i]) {
				return false
			}
			n++
			start = i + 1
		}
	}
	return n == 3
}

var (
	languageTag = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$`)
	base64url   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
)

// deviceInformation fills DeviceInformation from what is known.
func deviceInformation(d Device, now time.Time) (*DeviceInformation, error) {
	var errs []error
	di := &DeviceInformation{}
	switch d.Type {
	case "", DeviceDesktop, DeviceMobile, DeviceTablet, DeviceOther:
		di.DeviceType = string(d.Type)
	default:
		errs = append(errs, invalid("Device.Type", "not a DeviceType"))
	}
	errs = append(errs,
		text("Device.OS", d.OS, 100),
		text("Device.OSVersion", d.OSVersion, 100),
		text("Device.Manufacturer", d.Manufacturer, 50),
		text("Device.Model", d.Model, 50))
	di.DeviceOperatingSystem = d.OS
	di.DeviceOperatingSystemVersion = d.OSVersion
	if d.Manufacturer != "" || d.Model != "" {
		di.DeviceManufacturer = &DeviceManufacturer{Manufacturer: d.Manufacturer, Model: d.Model}
	}
	if d.Language != "" {
		if !languageTag.MatchString(d.Language) {
			errs = append(errs, invalid("Device.Language", "not a BCP 47 language tag"))
		}
		di.DeviceLanguage = d.Language
	}
	if d.TimeZone != nil {
		di.DeviceLocalDateTime = now.In(d.TimeZone).Format(time.RFC3339)
	}
	if d.BindingID != "" {
		if !base64url.MatchString(d.BindingID) {
			errs = append(errs, invalid("Device.BindingID", "not a base64url JWK thumbprint"))
		}
		di.DeviceBindingId = d.BindingID
	}
	if !d.BoundAt.IsZero() {
		if d.BoundAt.After(now) {
			errs = append(errs, invalid("Device.BoundAt", "after Now"))
		} else {
			di.LastBindingDateTime = timestamp(d.BoundAt)
			di.BindingDuration = isoDuration(now.Sub(d.BoundAt))
		}
	}
	switch d.BindingStatus {
	case "", BindingActive, BindingExpired, BindingRevoked, BindingSuspended:
		di.BindingStatus = string(d.BindingStatus)
	default:
		errs = append(errs, invalid("Device.BindingStatus", "not a BindingStatus"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if *di == (DeviceInformation{}) {
		return nil, nil
	}
	return di, nil
}

func appInformation(a App) (*AppInformation, error) {
	if err := errors.Join(
		text("App.Version", a.Version, 100),
		text("App.PackageName", a.PackageName, 200),
		text("App.BuildNumber", a.BuildNumber, 100)); err != nil {
		return nil, err
	}
	if a == (App{}) {
		return nil, nil
	}
	return &AppInformation{AppVersion: a.Version, PackageName: a.PackageName, BuildNumber: a.BuildNumber}, nil
}

func accountRisk(h History, now time.Time) (*AccountRiskIndicators, error) {
	var errs []error
	ar := &AccountRiskIndicators{}
	for _, d := range []struct {
		field string
		t     time.Time
		out   *string
		f     func(time.Time) string
	}{
		{"History.OnboardedAt", h.OnboardedAt, &ar.UserOnboardingDateTime, timestamp},
		{"History.AccountChangedAt", h.AccountChangedAt, &ar.LastAccountChangeDate, date},
		// The PIN is the knowledge credential of the wallet account, so
		// its last change is the account's "password" change.
		{"History.PINChangedAt", h.PINChangedAt, &ar.LastPasswordChangeDate, date},
	} {
		if d.t.IsZero() {
			continue
		}
		if d.t.After(now) {
			errs = append(errs, invalid(d.field, "after Now"))
			continue
		}
		*d.out = d.f(d.t)
	}
	switch h.Suspicion {
	case "", SuspicionNone, SuspicionDetected:
		ar.SuspiciousActivity = string(h.Suspicion)
	default:
		errs = append(errs, invalid("History.Suspicion", "not a SuspiciousActivity value"))
	}
	errs = append(errs,
		count("History.TransactionsLastDay", h.TransactionsLastDay),
		count("History.TransactionsLastYear", h.TransactionsLastYear))
	if h.TransactionsLastDay > h.TransactionsLastYear {
		errs = append(errs, invalid("History.TransactionsLastDay", "more than TransactionsLastYear"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	ar.TransactionHistory = &TransactionHistory{
		LastDay:  ptr(int64(h.TransactionsLastDay)),
		LastYear: ptr(int64(h.TransactionsLastYear)),
	}
	return ar, nil
}

// paymentProcess counts attempts. At payment time the current attempt is
// one of SessionAttempts (the schema's minimum is 1) and TotalDuration runs
// from Started to Now, the moment the payment is submitted: completion at
// the bank is not known when the block is built. At consent time no payment
// is in progress, so TotalDuration is left out, and so are the session
// counts when the session has had no attempt (0 is below the minimum).
func paymentProcess(h History, payment bool, started, now time.Time) (*PaymentProcess, error) {
	errs := []error{
		count("History.SessionAttempts", h.SessionAttempts),
		count("History.SessionFailedAttempts", h.SessionFailedAttempts),
		count("History.Last24hAttempts", h.Last24hAttempts),
		count("History.Last24hFailedAttempts", h.Last24hFailedAttempts),
	}
	if h.SessionFailedAttempts > h.SessionAttempts {
		errs = append(errs, invalid("History.SessionFailedAttempts", "more than SessionAttempts"))
	}
	if h.Last24hFailedAttempts > h.Last24hAttempts {
		errs = append(errs, invalid("History.Last24hFailedAttempts", "more than Last24hAttempts"))
	}
	if payment {
		// The current attempt is in both counts. (A session can be older
		// than a day, so SessionAttempts ≤ Last24hAttempts is not a rule.)
		if h.SessionAttempts < 1 {
			errs = append(errs, invalid("History.SessionAttempts", "must include the current attempt"))
		}
		if h.Last24hAttempts < 1 {
			errs = append(errs, invalid("History.Last24hAttempts", "must include the current attempt"))
		}
	}
	pp := &PaymentProcess{
		Last24HourAttempts:       ptr(int64(h.Last24hAttempts)),
		Last24HourFailedAttempts: ptr(int64(h.Last24hFailedAttempts)),
	}
	if h.SessionAttempts >= 1 {
		pp.CurrentSessionAttempts = ptr(int64(h.SessionAttempts))
		pp.CurrentSessionFailedAttempts = ptr(int64(h.SessionFailedAttempts))
	}
	if payment && !started.IsZero() {
		if started.After(now) {
			errs = append(errs, invalid("Started", "after Now"))
		} else {
			pp.TotalDuration = ptr(int64(now.Sub(started) / time.Second))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return pp, nil
}

func creditorIndicators(p Payee, payment bool) (*CreditorIndicators, error) {
	var errs []error
	ci := &CreditorIndicators{
		IsCreditorPrePopulated: ptr(p.PrePopulated),
		IsVerifiedByTPP:        ptr(p.OnboardedByTPP),
		IsCreditorConfirmed:    ptr(p.ConfirmedByCoP),
	}
	switch p.Kind {
	case "":
	case AccountRetail, AccountCorporate:
		if payment {
			ci.AccountType = string(p.Kind)
		}
	default:
		errs = append(errs, invalid("Payee.Kind", "not Retail or Corporate"))
	}
	errs = append(errs,
		text("Payee.TradingNameEN", p.TradingNameEN, 70),
		text("Payee.TradingNameAR", p.TradingNameAR, 70))
	if p.TradingNameEN != "" || p.TradingNameAR != "" {
		ci.TradingName = &TradingName{EN: p.TradingNameEN, AR: p.TradingNameAR}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return ci, nil
}

func count(field string, n int) error {
	if n < 0 {
		return invalid(field, "negative")
	}
	return nil
}

// text accepts "" (unknown) or printable UTF-8 of at most max characters
// without leading or trailing space.
func text(field, s string, max int) error {
	if s == "" {
		return nil
	}
	if !utf8.ValidString(s) {
		return invalid(field, "not UTF-8")
	}
	if utf8.RuneCountInString(s) > max {
		return invalid(field, "too long")
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return invalid(field, "control character")
		}
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return invalid(field, "leading or trailing space")
	}
	return nil
}
