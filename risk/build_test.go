package risk

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestGolden(t *testing.T) {
	consent, err := ForConsent(fixedConsent())
	if err != nil {
		t.Fatal(err)
	}
	payment, err := ForPayment(fixedPayment())
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]Risk{"consent.golden.json": consent, "payment.golden.json": payment} {
		got := indent(t, r)
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, got, 0o600); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./risk -run TestGolden -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden file:\n%s", name, got)
		}
	}
}

func indent(t *testing.T, r Risk) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jsonIndent(&buf, mustJSON(t, r)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Every field the wallet knows is filled, and no other: the exact leaf set.
func TestPaymentFillsEveryKnownField(t *testing.T) {
	r, err := ForPayment(fixedPayment())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/CreditorIndicators/AccountType",
		"/CreditorIndicators/IsCreditorConfirmed",
		"/CreditorIndicators/IsCreditorPrePopulated",
		"/CreditorIndicators/IsVerifiedByTPP",
		"/CreditorIndicators/TradingName/ar",
		"/CreditorIndicators/TradingName/en",
		"/DebtorIndicators/AccountRiskIndicators/LastAccountChangeDate",
		"/DebtorIndicators/AccountRiskIndicators/LastPasswordChangeDate",
		"/DebtorIndicators/AccountRiskIndicators/SuspiciousActivity",
		"/DebtorIndicators/AccountRiskIndicators/TransactionHistory/LastDay",
		"/DebtorIndicators/AccountRiskIndicators/TransactionHistory/LastYear",
		"/DebtorIndicators/AccountRiskIndicators/UserOnboardingDateTime",
		"/DebtorIndicators/AppInformation/AppVersion",
		"/DebtorIndicators/AppInformation/BuildNumber",
		"/DebtorIndicators/AppInformation/PackageName",
		"/DebtorIndicators/Authentication/AuthenticationChannel",
		"/DebtorIndicators/Authentication/AuthenticationFlow",
		"/DebtorIndicators/Authentication/AuthenticationValue",
		"/DebtorIndicators/Authentication/ChallengeDateTime",
		"/DebtorIndicators/Authentication/ChallengeOutcome",
		"/DebtorIndicators/Authentication/KnowledgeFactor/IsUsed",
		"/DebtorIndicators/Authentication/KnowledgeFactor/Type",
		"/DebtorIndicators/Authentication/PossessionFactor/IsUsed",
		"/DebtorIndicators/Authentication/PossessionFactor/Type",
		"/DebtorIndicators/DeviceInformation/BindingDuration",
		"/DebtorIndicators/DeviceInformation/BindingStatus",
		"/DebtorIndicators/DeviceInformation/DeviceBindingId",
		"/DebtorIndicators/DeviceInformation/DeviceLanguage",
		"/DebtorIndicators/DeviceInformation/DeviceLocalDateTime",
		"/DebtorIndicators/DeviceInformation/DeviceManufacturer/Manufacturer",
		"/DebtorIndicators/DeviceInformation/DeviceManufacturer/Model",
		"/DebtorIndicators/DeviceInformation/DeviceOperatingSystem",
		"/DebtorIndicators/DeviceInformation/DeviceOperatingSystemVersion",
		"/DebtorIndicators/DeviceInformation/DeviceType",
		"/DebtorIndicators/DeviceInformation/LastBindingDateTime",
		"/TransactionIndicators/Channel",
		"/TransactionIndicators/ChannelType",
		"/TransactionIndicators/IsContractPresent",
		"/TransactionIndicators/IsCustomerPresent",
		"/TransactionIndicators/PaymentProcess/CurrentSessionAttempts",
		"/TransactionIndicators/PaymentProcess/CurrentSessionFailedAttempts",
		"/TransactionIndicators/PaymentProcess/Last24HourAttempts",
		"/TransactionIndicators/PaymentProcess/Last24HourFailedAttempts",
		"/TransactionIndicators/PaymentProcess/TotalDuration",
		"/TransactionIndicators/SubChannelType",
	}
	if got := leaves(t, mustJSON(t, r)); !reflect.DeepEqual(got, want) {
		t.Fatalf("leaf set differs:\n got %q\nwant %q", got, want)
	}
}

func TestConsentLeavesOutPaymentOnlyFields(t *testing.T) {
	r, err := ForConsent(fixedConsent())
	if err != nil {
		t.Fatal(err)
	}
	ls := leaves(t, mustJSON(t, r))
	for _, absent := range []string{
		"/CreditorIndicators/AccountType",
		"/TransactionIndicators/PaymentProcess/TotalDuration",
		"/TransactionIndicators/PaymentProcess/CurrentSessionAttempts",
		"/TransactionIndicators/PaymentProcess/CurrentSessionFailedAttempts",
	} {
		if hasLeaf(ls, absent) {
			t.Errorf("%s present at consent time", absent)
		}
	}
	for _, present := range []string{
		"/CreditorIndicators/IsCreditorPrePopulated",
		"/TransactionIndicators/IsContractPresent",
		"/TransactionIndicators/PaymentProcess/Last24HourAttempts",
		"/DebtorIndicators/Authentication/AuthenticationValue",
	} {
		if !hasLeaf(ls, present) {
			t.Errorf("%s missing at consent time", present)
		}
	}

	in := fixedConsent()
	in.History.SessionAttempts, in.History.SessionFailedAttempts = 2, 1
	in.Payee = nil
	r, err = ForConsent(in)
	if err != nil {
		t.Fatal(err)
	}
	ls = leaves(t, mustJSON(t, r))
	if !hasLeaf(ls, "/TransactionIndicators/PaymentProcess/CurrentSessionAttempts") {
		t.Error("session attempts known but left out")
	}
	if hasLeaf(ls, "/CreditorIndicators") || hasLeaf(ls, "/TransactionIndicators/IsContractPresent") {
		t.Error("creditor facts stated without a single creditor")
	}
}

// Unknown things are absent, never "" or {}.
func TestUnknownIsLeftOut(t *testing.T) {
	c, err := ForConsent(ConsentInput{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	p, err := ForPayment(PaymentInput{Now: fixedNow, SCA: fixedSCA(), History: History{SessionAttempts: 1, Last24hAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]Risk{"consent": c, "payment": p} {
		ls := leaves(t, mustJSON(t, r))
		for _, l := range ls {
			if strings.HasSuffix(l, `""`) || strings.HasSuffix(l, "{}") || strings.HasSuffix(l, "[]") {
				t.Errorf("%s: empty value sent: %s", name, l)
			}
		}
		for _, absent := range []string{
			"/DebtorIndicators/DeviceInformation", "/DebtorIndicators/AppInformation",
			"/DebtorIndicators/AccountRiskIndicators/UserOnboardingDateTime",
			"/DebtorIndicators/AccountRiskIndicators/SuspiciousActivity",
			"/CreditorIndicators/TradingName", "/CreditorIndicators/AccountType",
			"/TransactionIndicators/Channel", "/TransactionIndicators/PaymentProcess/TotalDuration",
		} {
			if hasLeaf(ls, absent) {
				t.Errorf("%s: unknown %s sent", name, absent)
			}
		}
	}
	if c.DebtorIndicators.Authentication != nil {
		t.Error("consent without SCA states an authentication")
	}
	// Partly known device: only the known parts.
	r, err := ForConsent(ConsentInput{Now: fixedNow, Device: Device{Type: DeviceDesktop, Model: "Model 14"}})
	if err != nil {
		t.Fatal(err)
	}
	di := r.DebtorIndicators.DeviceInformation
	if di.DeviceType != "Desktop" || di.DeviceManufacturer == nil || di.DeviceManufacturer.Manufacturer != "" || di.DeviceLocalDateTime != "" || di.BindingDuration != "" {
		t.Errorf("partly known device rendered wrongly: %+v", di)
	}
}

func TestTerminalEnumMapping(t *testing.T) {
	for _, c := range []struct {
		dt      DeviceType
		channel string
	}{{DeviceDesktop, "Web"}, {DeviceOther, "Web"}, {DeviceMobile, "Mobile"}, {DeviceTablet, "Mobile"}, {"", ""}} {
		in := fixedPayment()
		in.Device.Type = c.dt
		r, err := ForPayment(in)
		if err != nil {
			t.Fatal(err)
		}
		ti := r.TransactionIndicators
		if ti.Channel != c.channel || ti.ChannelType != "InApp" || ti.SubChannelType != "Other" || !*ti.IsCustomerPresent {
			t.Errorf("%q: got %+v", c.dt, ti)
		}
		if r.DebtorIndicators.Authentication.AuthenticationChannel != "App" {
			t.Errorf("%q: AuthenticationChannel %q", c.dt, r.DebtorIndicators.Authentication.AuthenticationChannel)
		}
	}
}

func TestAuthenticationFlow(t *testing.T) {
	one := fixedConsent()
	one.SCA.Possession = ""
	r, err := ForConsent(one)
	if err != nil {
		t.Fatal(err)
	}
	a := r.DebtorIndicators.Authentication
	if a.AuthenticationFlow != "Other" || *a.PossessionFactor.IsUsed || a.PossessionFactor.Type != "" {
		t.Errorf("single factor: %+v %+v", a, a.PossessionFactor)
	}
	notPerformed := fixedConsent()
	notPerformed.SCA = &SCAFacts{Outcome: OutcomeNotPerformed}
	r, err = ForConsent(notPerformed)
	if err != nil {
		t.Fatal(err)
	}
	if a := r.DebtorIndicators.Authentication; a.ChallengeOutcome != "NotPerformed" || a.AuthenticationFlow != "" || a.ChallengeDateTime != "" || a.KnowledgeFactor != nil {
		t.Errorf("not performed: %+v", a)
	}
	failed := fixedConsent()
	failed.SCA.Outcome = OutcomeFail
	if r, err := ForConsent(failed); err != nil || r.DebtorIndicators.Authentication.ChallengeOutcome != "Fail" {
		t.Errorf("failed SCA at consent time: %v", err)
	}
}

func TestMFACountsCategories(t *testing.T) {
	for name, c := range map[string]struct {
		sca  SCAFacts
		flow string
	}{
		"PIN + OTP app":        {SCAFacts{Knowledge: KnowledgePIN, Possession: PossessionOTPApp}, "MFA"},
		"PIN + fingerprint":    {SCAFacts{Knowledge: KnowledgePIN, Inherence: "Fingerprint"}, "MFA"},
		"trusted device + bio": {SCAFacts{Possession: "TrustedDevice", Inherence: "DeviceBiometrics"}, "MFA"},
		"SMS OTP named twice":  {SCAFacts{Knowledge: "SMSOTP", Possession: "SMSOTP"}, "Other"},
		"PIN only":             {SCAFacts{Knowledge: KnowledgePIN}, "Other"},
		"nothing":              {SCAFacts{}, "Other"},
	} {
		c.sca.Outcome, c.sca.ChallengeTime = OutcomePass, fixedNow
		a, err := authentication(c.sca, fixedNow)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if a.AuthenticationFlow != c.flow {
			t.Errorf("%s: flow %s, want %s", name, a.AuthenticationFlow, c.flow)
		}
		if (c.sca.Inherence != "") != (a.InherenceFactor != nil) {
			t.Errorf("%s: InherenceFactor %+v", name, a.InherenceFactor)
		}
	}
	in := fixedSCA()
	in.Inherence = "Retina"
	if _, err := authentication(in, fixedNow); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("unknown inherence type accepted: %v", err)
	}
}

func TestPaymentNeedsPassedMFAWithProof(t *testing.T) {
	for name, mut := range map[string]func(*SCAFacts){
		"failed":        func(s *SCAFacts) { s.Outcome = OutcomeFail },
		"not performed": func(s *SCAFacts) { *s = SCAFacts{Outcome: OutcomeNotPerformed} },
		"no possession": func(s *SCAFacts) { s.Possession = "" },
		"no knowledge":  func(s *SCAFacts) { s.Knowledge = "" },
		"no proof":      func(s *SCAFacts) { s.AuthenticationValue = "" },
	} {
		in := fixedPayment()
		mut(&in.SCA)
		if _, err := ForPayment(in); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: want ErrInvalidInput, got %v", name, err)
		}
	}
}

const piiMarker = "Zed Q. Person"

func TestInvalidInputsAreRefused(t *testing.T) {
	pay := map[string]struct {
		field string
		mut   func(*PaymentInput)
	}{
		"zero now":              {"Now", func(p *PaymentInput) { p.Now = time.Time{} }},
		"negative day count":    {"TransactionsLastDay", func(p *PaymentInput) { p.History.TransactionsLastDay = -1 }},
		"negative year count":   {"TransactionsLastYear", func(p *PaymentInput) { p.History.TransactionsLastYear = -1 }},
		"day above year":        {"TransactionsLastDay", func(p *PaymentInput) { p.History.TransactionsLastDay = 50 }},
		"negative 24h failures": {"Last24hFailedAttempts", func(p *PaymentInput) { p.History.Last24hFailedAttempts = -1 }},
		"failures above tries":  {"SessionFailedAttempts", func(p *PaymentInput) { p.History.SessionFailedAttempts = 3 }},
		"24h failures above":    {"Last24hFailedAttempts", func(p *PaymentInput) { p.History.Last24hFailedAttempts = 4 }},
		"no current attempt":    {"SessionAttempts", func(p *PaymentInput) { p.History.SessionAttempts, p.History.SessionFailedAttempts = 0, 0 }},
		"no current in 24h":     {"Last24hAttempts", func(p *PaymentInput) { p.History.Last24hAttempts, p.History.Last24hFailedAttempts = 0, 0 }},
		"challenge in future":   {"ChallengeTime", func(p *PaymentInput) { p.SCA.ChallengeTime = fixedNow.Add(time.Second) }},
		"challenge missing":     {"ChallengeTime", func(p *PaymentInput) { p.SCA.ChallengeTime = time.Time{} }},
		"bad outcome":           {"Outcome", func(p *PaymentInput) { p.SCA.Outcome = "Maybe" }},
		"bad knowledge":         {"Knowledge", func(p *PaymentInput) { p.SCA.Knowledge = "Pattern" }},
		"bad possession":        {"Possession", func(p *PaymentInput) { p.SCA.Possession = "SMS" }},
		"not a JWS":             {"AuthenticationValue", func(p *PaymentInput) { p.SCA.AuthenticationValue = "a.b" }},
		"JWS with space":        {"AuthenticationValue", func(p *PaymentInput) { p.SCA.AuthenticationValue = "a.b c.d" }},
		"JWS too long":          {"AuthenticationValue", func(p *PaymentInput) { p.SCA.AuthenticationValue = "a.b." + strings.Repeat("c", maxJWS) }},
		"bad device type":       {"Device.Type", func(p *PaymentInput) { p.Device.Type = "Fridge" }},
		"bad binding status":    {"BindingStatus", func(p *PaymentInput) { p.Device.BindingStatus = "Pending" }},
		"bound in future":       {"BoundAt", func(p *PaymentInput) { p.Device.BoundAt = fixedNow.Add(time.Hour) }},
		"bad binding id":        {"BindingID", func(p *PaymentInput) { p.Device.BindingID = "not/base64url=" }},
		"bad language":          {"Language", func(p *PaymentInput) { p.Device.Language = "english please" }},
		"control char in OS":    {"Device.OS", func(p *PaymentInput) { p.Device.OS = "Linux\x1b[31m" }},
		"model too long":        {"Device.Model", func(p *PaymentInput) { p.Device.Model = strings.Repeat("m", 51) }},
		"padded version":        {"OSVersion", func(p *PaymentInput) { p.Device.OSVersion = " 12" }},
		"bad UTF-8 app":         {"App.Version", func(p *PaymentInput) { p.App.Version = "v1\xff" }},
		"onboarded in future":   {"OnboardedAt", func(p *PaymentInput) { p.History.OnboardedAt = fixedNow.Add(time.Hour) }},
		"PIN changed in future": {"PINChangedAt", func(p *PaymentInput) { p.History.PINChangedAt = fixedNow.Add(time.Hour) }},
		"bad suspicion":         {"Suspicion", func(p *PaymentInput) { p.History.Suspicion = "Meh" }},
		"started in future":     {"Started", func(p *PaymentInput) { p.Started = fixedNow.Add(time.Minute) }},
		"bad account kind":      {"Payee.Kind", func(p *PaymentInput) { p.Payee.Kind = "CurrentAccount" }},
		"trading name too long": {"TradingNameEN", func(p *PaymentInput) { p.Payee.TradingNameEN = piiMarker + strings.Repeat("x", 70) }},
		"trading name control":  {"TradingNameAR", func(p *PaymentInput) { p.Payee.TradingNameAR = piiMarker + "\n" }},
	}
	for name, c := range pay {
		in := fixedPayment()
		c.mut(&in)
		_, err := ForPayment(in)
		if !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: want ErrInvalidInput, got %v", name, err)
			continue
		}
		if !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: error does not name %s: %v", name, c.field, err)
		}
		if strings.Contains(err.Error(), piiMarker) || strings.Contains(err.Error(), "\x1b") {
			t.Errorf("%s: error quotes the value: %q", name, err)
		}
	}

	consent := map[string]func(*ConsentInput){
		"zero now":         func(c *ConsentInput) { c.Now = time.Time{} },
		"negative session": func(c *ConsentInput) { c.History.SessionAttempts = -1 },
		"not performed with facts": func(c *ConsentInput) {
			c.SCA = &SCAFacts{Outcome: OutcomeNotPerformed, Knowledge: KnowledgePIN}
		},
		"bad payee kind": func(c *ConsentInput) { c.Payee.Kind = "Savings" },
	}
	for name, mut := range consent {
		in := fixedConsent()
		mut(&in)
		if _, err := ForConsent(in); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("consent %s: want ErrInvalidInput, got %v", name, err)
		}
	}
}

// All problems are reported at once, so a caller fixes them in one go.
func TestAllProblemsReported(t *testing.T) {
	in := fixedPayment()
	in.History.TransactionsLastDay = -1
	in.Device.Type = "Fridge"
	in.Payee.Kind = "X"
	_, err := ForPayment(in)
	for _, field := range []string{"TransactionsLastDay", "Device.Type", "Payee.Kind"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("error does not mention %s: %v", field, err)
		}
	}
}

func TestBuildersAreDeterministic(t *testing.T) {
	a, _ := ForPayment(fixedPayment())
	b, _ := ForPayment(fixedPayment())
	if !bytes.Equal(mustJSON(t, a), mustJSON(t, b)) {
		t.Fatal("same input, different output")
	}
}

func TestISODuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                   "PT0S",
		-time.Second:                        "PT0S",
		999 * time.Millisecond:              "PT0S",
		59 * time.Second:                    "PT59S",
		time.Hour:                           "PT1H",
		time.Hour + 30*time.Second:          "PT1H30S",
		24 * time.Hour:                      "P1D",
		(30*24+2)*time.Hour + 5*time.Minute: "P30DT2H5M",
		400 * 24 * time.Hour:                "P400D",
	} {
		if got := isoDuration(d); got != want {
			t.Errorf("isoDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
