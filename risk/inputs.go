package risk

import "time"

// Outcome is the result of the wallet's SCA challenge.
type Outcome string

const (
	OutcomePass         Outcome = "Pass"
	OutcomeFail         Outcome = "Fail"
	OutcomeNotPerformed Outcome = "NotPerformed"
)

// Knowledge is the kind of knowledge element used: a KnowledgeFactor.Type
// of the schema (PIN, Password, SecurityQuestion, SMSOTP, EmailOTP,
// OTPPush, Other).
type Knowledge string

// Possession is the kind of possession element used: a
// PossessionFactor.Type of the schema (FIDO2SecurityKey, Passkey,
// OTPDevice, OTPApp, SMSOTP, EmailOTP, PushNotification, WebauthnToken,
// SecureEnclaveKey, HardwareOTPKey, TrustedDevice, Other).
type Possession string

// Inherence is the kind of inherence element used: an
// InherenceFactor.Type of the schema (Biometric, Fingerprint,
// FaceRecognition, IrisScan, VoiceRecognition, FIDOBiometric,
// DeviceBiometrics, Other).
type Inherence string

// The factors payterm uses (sca/ implements exactly these two).
const (
	KnowledgePIN Knowledge = "PIN"
	// PossessionOTPApp is a TOTP authenticator app (RFC 6238).
	PossessionOTPApp Possession = "OTPApp"
)

var (
	knowledgeTypes  = []string{"PIN", "Password", "SecurityQuestion", "SMSOTP", "EmailOTP", "OTPPush", "Other"}
	possessionTypes = []string{"FIDO2SecurityKey", "Passkey", "OTPDevice", "OTPApp", "SMSOTP", "EmailOTP", "PushNotification", "WebauthnToken", "SecureEnclaveKey", "HardwareOTPKey", "TrustedDevice", "Other"}
	inherenceTypes  = []string{"Biometric", "Fingerprint", "FaceRecognition", "IrisScan", "VoiceRecognition", "FIDOBiometric", "DeviceBiometrics", "Other"}
)

// SCAFacts are the facts of one SCA that wallet/ copies from sca.Evidence.
// They carry no secret: the PIN and the TOTP code never reach this package.
type SCAFacts struct {
	// ChallengeTime is when the challenge completed (ChallengeDateTime).
	ChallengeTime time.Time
	Outcome       Outcome
	// AuthenticationValue is the compact JWS the device key made over the
	// dynamic-linking payload (consent, amount, currency, creditor,
	// idempotency key, challenge time).
	AuthenticationValue string
	// The factors used, by category; "" means the category was not used.
	// Multi-factor means two categories or more (PSD2 RTS Art. 4).
	Knowledge  Knowledge
	Possession Possession
	Inherence  Inherence
}

// DeviceType is the schema's DeviceInformation.DeviceType.
type DeviceType string

const (
	DeviceDesktop DeviceType = "Desktop"
	DeviceMobile  DeviceType = "Mobile"
	DeviceTablet  DeviceType = "Tablet"
	DeviceOther   DeviceType = "Other"
)

// BindingStatus is the state of the device key binding.
type BindingStatus string

const (
	BindingActive    BindingStatus = "Active"
	BindingExpired   BindingStatus = "Expired"
	BindingRevoked   BindingStatus = "Revoked"
	BindingSuspended BindingStatus = "Suspended"
)

// Device describes the machine. DetectDevice fills the environment part;
// wallet/ adds the binding part from the device key. "" or a zero time or a
// nil TimeZone means unknown, and the field is left out.
type Device struct {
	Type         DeviceType
	OS           string // e.g. "Linux", "macOS", "Windows"
	OSVersion    string // e.g. "Debian GNU/Linux 12"
	Manufacturer string // ≤ 50 characters
	Model        string // ≤ 50 characters
	Language     string // BCP 47, e.g. "en-AE"
	// TimeZone is the device's zone, used to state its local time.
	TimeZone *time.Location

	// BindingID is the device key's JWK thumbprint (RFC 7638, base64url).
	BindingID string
	// BoundAt is when the device key was generated and bound.
	BoundAt       time.Time
	BindingStatus BindingStatus
}

// App identifies the wallet build (AppInformation).
type App struct {
	Version     string
	PackageName string
	BuildNumber string
}

// Suspicion is the wallet's own verdict on the account.
type Suspicion string

const (
	SuspicionNone     Suspicion = "NoSuspiciousActivity"
	SuspicionDetected Suspicion = "SuspiciousActivityDetected"
)

// History holds the ledger's counts and the account's dates. Counts are
// always known (0 is a count); dates are unknown when zero.
type History struct {
	// OnboardedAt is when the user enrolled in the wallet.
	OnboardedAt time.Time
	// AccountChangedAt is the last change of the wallet account (for
	// example a re-enrolment); PINChangedAt the last PIN change.
	AccountChangedAt time.Time
	PINChangedAt     time.Time
	Suspicion        Suspicion // "" = no verdict, left out

	// Payment attempts, including the current one at payment time.
	SessionAttempts       int
	SessionFailedAttempts int
	Last24hAttempts       int
	Last24hFailedAttempts int
	TransactionsLastDay   int
	TransactionsLastYear  int
}

// AccountKind is the payee's account type at payment time.
type AccountKind string

const (
	AccountRetail    AccountKind = "Retail"
	AccountCorporate AccountKind = "Corporate"
)

// Payee is what the wallet knows of the creditor.
type Payee struct {
	Kind AccountKind // "" = unknown, left out
	// PrePopulated: the details came from a saved payee, not typed now.
	PrePopulated bool
	// OnboardedByTPP: the TPP onboarded the creditor (IsVerifiedByTPP).
	// payterm onboards no creditors, so wallet/ passes false.
	OnboardedByTPP bool
	// ContractWithTPP: the creditor has a contract with the TPP
	// (IsContractPresent). payterm has none, so wallet/ passes false.
	ContractWithTPP bool
	// ConfirmedByCoP: Confirmation of Payee matched the account name.
	ConfirmedByCoP bool
	// TradingName in English and/or Arabic, each ≤ 70 characters.
	TradingNameEN, TradingNameAR string
}

// ConsentInput is everything ForConsent uses.
type ConsentInput struct {
	Now     time.Time // the moment the block is built (the wallet's clock)
	SCA     *SCAFacts // nil when the wallet ran no SCA before the consent
	Device  Device
	App     App
	History History
	// Payee is the consent's creditor for a single-beneficiary consent;
	// nil for open or multiple beneficiaries, whose Risk cannot describe
	// one creditor.
	Payee *Payee
}

// PaymentInput is everything ForPayment uses.
type PaymentInput struct {
	Now time.Time // the moment the block is built, just before sending
	// Started is when the user began this payment (opened the pay form);
	// zero if unknown.
	Started time.Time
	SCA     SCAFacts
	Device  Device
	App     App
	History History
	Payee   Payee
}
