package risk

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalidInput wraps every input the builders refuse. Messages name the
// field and the rule, never the value (values may be PII).
var ErrInvalidInput = errors.New("invalid risk input")

func invalid(field, rule string) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidInput, field, rule)
}

// The values a terminal wallet sends for enums designed for mobile apps and
// browsers; the package doc explains each choice.
const (
	authenticationChannelApp = "App"
	channelTypeInApp         = "InApp"
	subChannelOther          = "Other"
	channelWeb               = "Web"
	channelMobile            = "Mobile"
	flowMFA                  = "MFA"
	flowOther                = "Other"
)

// ForConsent builds the Risk block sent in the consent PII at PAR time. It
// validates against the authorization-endpoints schema (every nested object
// closed) and never sets CreditorIndicators.AccountType, whose consent-time
// enum (CurrentAccount, Savings, ...) describes nothing the wallet knows
// about a payee and contradicts the payment-time one (uae-spec §6, C6).
func ForConsent(in ConsentInput) (Risk, error) {
	var errs []error
	if in.Now.IsZero() {
		return Risk{}, invalid("Now", "required")
	}
	var auth *Authentication
	if in.SCA != nil {
		var err error
		auth, err = authentication(*in.SCA, in.Now)
		errs = append(errs, err)
	}
	dev, err := deviceInformation(in.Device, in.Now)
	errs = append(errs, err)
	app, err := appInformation(in.App)
	errs = append(errs, err)
	acct, err := accountRisk(in.History, in.Now)
	errs = append(errs, err)
	pp, err := paymentProcess(in.History, false, time.Time{}, in.Now)
	errs = append(errs, err)
	var ci *CreditorIndicators
	var contract *bool
	if in.Payee != nil {
		ci, err = creditorIndicators(*in.Payee, false)
		errs = append(errs, err)
		contract = ptr(in.Payee.ContractWithTPP)
	}
	if err := errors.Join(errs...); err != nil {
		return Risk{}, fmt.Errorf("consent-time risk: %w", err)
	}
	return Risk{
		DebtorIndicators:      debtor(auth, dev, app, acct),
		TransactionIndicators: transaction(in.Device.Type, contract, pp),
		CreditorIndicators:    ci,
	}, nil
}

// ForPayment builds the Risk block sent in the payment PII at POST
// /payments, for the bank-initiation schema. Under delegated SCA the bank
// relies on this block alone, so it refuses to describe anything but a
// passed multi-factor SCA with its device-key proof: building a payment
// Risk block from failed or single-factor facts is a caller bug.
func ForPayment(in PaymentInput) (Risk, error) {
	if in.Now.IsZero() {
		return Risk{}, invalid("Now", "required")
	}
	var errs []error
	auth, err := authentication(in.SCA, in.Now)
	errs = append(errs, err)
	if err == nil {
		if auth.ChallengeOutcome != string(OutcomePass) {
			errs = append(errs, invalid("SCA.Outcome", "a payment needs a passed SCA"))
		} else if auth.AuthenticationFlow != flowMFA {
			errs = append(errs, invalid("SCA", "a payment needs factors from two categories"))
		}
		if auth.AuthenticationValue == "" {
			errs = append(errs, invalid("SCA.AuthenticationValue", "a payment needs the device-key JWS"))
		}
	}
	dev, err := deviceInformation(in.Device, in.Now)
	errs = append(errs, err)
	app, err := appInformation(in.App)
	errs = append(errs, err)
	acct, err := accountRisk(in.History, in.Now)
	errs = append(errs, err)
	pp, err := paymentProcess(in.History, true, in.Started, in.Now)
	errs = append(errs, err)
	ci, err := creditorIndicators(in.Payee, true)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return Risk{}, fmt.Errorf("payment-time risk: %w", err)
	}
	return Risk{
		DebtorIndicators:      debtor(auth, dev, app, acct),
		TransactionIndicators: transaction(in.Device.Type, ptr(in.Payee.ContractWithTPP), pp),
		CreditorIndicators:    ci,
	}, nil
}

func debtor(auth *Authentication, dev *DeviceInformation, app *AppInformation, acct *AccountRiskIndicators) *DebtorIndicators {
	if auth == nil && dev == nil && app == nil && acct == nil {
		return nil
	}
	return &DebtorIndicators{Authentication: auth, DeviceInformation: dev, AppInformation: app, AccountRiskIndicators: acct}
}

// transaction fills TransactionIndicators. IsCustomerPresent is always
// true: payterm has no unattended or scheduled payments, every consent and
// payment is started by the user at the keyboard.
func transaction(dt DeviceType, contract *bool, pp *PaymentProcess) *TransactionIndicators {
	return &TransactionIndicators{
		IsCustomerPresent: ptr(true),
		IsContractPresent: contract,
		Channel:           channelFor(dt),
		ChannelType:       channelTypeInApp,
		SubChannelType:    subChannelOther,
		PaymentProcess:    pp,
	}
}

// channelFor maps the device class to Channel (Web|Mobile): a desktop is
// not a mobile device, and Web is the schema's only non-mobile value.
func channelFor(dt DeviceType) string {
	switch dt {
	case DeviceMobile, DeviceTablet:
		return channelMobile
	case DeviceDesktop, DeviceOther:
		return channelWeb
	}
	return "" // unknown device class: leave Channel out
}

func ptr[T any](v T) *T { return &v }

func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func date(t time.Time) string { return t.UTC().Format(time.DateOnly) }
