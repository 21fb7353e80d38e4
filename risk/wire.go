package risk

// The wire types below are the subset of AERisk (uae-spec §6) that payterm
// can fill. A field absent here is one the wallet never knows (GeoLocation,
// BrowserInformation, MerchantRisk, ...): it is left out rather than sent
// empty. Every field is omitempty and booleans and counts are pointers, so
// "unknown" is absent while false and 0 are still sent when known.

// Risk is the Risk block of the payment PII. The consent-time and
// payment-time schemas have the same fields; they differ in
// CreditorIndicators.AccountType (which ForConsent never sets) and in the
// consent-time file closing every nested object (which these types honour
// by construction: they have no free-form members).
type Risk struct {
	DebtorIndicators      *DebtorIndicators      `json:"DebtorIndicators,omitempty"`
	TransactionIndicators *TransactionIndicators `json:"TransactionIndicators,omitempty"`
	CreditorIndicators    *CreditorIndicators    `json:"CreditorIndicators,omitempty"`
}

// DebtorIndicators describes the user, their device and their SCA.
type DebtorIndicators struct {
	Authentication        *Authentication        `json:"Authentication,omitempty"`
	DeviceInformation     *DeviceInformation     `json:"DeviceInformation,omitempty"`
	AppInformation        *AppInformation        `json:"AppInformation,omitempty"`
	AccountRiskIndicators *AccountRiskIndicators `json:"AccountRiskIndicators,omitempty"`
}

// Authentication is the proof of the wallet's own (delegated) SCA.
type Authentication struct {
	AuthenticationChannel string  `json:"AuthenticationChannel,omitempty"`
	PossessionFactor      *Factor `json:"PossessionFactor,omitempty"`
	KnowledgeFactor       *Factor `json:"KnowledgeFactor,omitempty"`
	InherenceFactor       *Factor `json:"InherenceFactor,omitempty"`
	ChallengeOutcome      string  `json:"ChallengeOutcome,omitempty"`
	AuthenticationFlow    string  `json:"AuthenticationFlow,omitempty"`
	AuthenticationValue   string  `json:"AuthenticationValue,omitempty"`
	ChallengeDateTime     string  `json:"ChallengeDateTime,omitempty"`
}

// Factor is one SCA element category and the kind used in it.
type Factor struct {
	IsUsed *bool  `json:"IsUsed,omitempty"`
	Type   string `json:"Type,omitempty"`
}

// DeviceInformation describes the machine the wallet runs on.
type DeviceInformation struct {
	DeviceOperatingSystem        string              `json:"DeviceOperatingSystem,omitempty"`
	DeviceOperatingSystemVersion string              `json:"DeviceOperatingSystemVersion,omitempty"`
	DeviceBindingId              string              `json:"DeviceBindingId,omitempty"`
	LastBindingDateTime          string              `json:"LastBindingDateTime,omitempty"`
	BindingDuration              string              `json:"BindingDuration,omitempty"`
	BindingStatus                string              `json:"BindingStatus,omitempty"`
	DeviceType                   string              `json:"DeviceType,omitempty"`
	DeviceManufacturer           *DeviceManufacturer `json:"DeviceManufacturer,omitempty"`
	DeviceLanguage               string              `json:"DeviceLanguage,omitempty"`
	DeviceLocalDateTime          string              `json:"DeviceLocalDateTime,omitempty"`
}

// DeviceManufacturer is the hardware vendor and model (each ≤ 50 chars).
type DeviceManufacturer struct {
	Model        string `json:"Model,omitempty"`
	Manufacturer string `json:"Manufacturer,omitempty"`
}

// AppInformation identifies the wallet build.
type AppInformation struct {
	AppVersion  string `json:"AppVersion,omitempty"`
	PackageName string `json:"PackageName,omitempty"`
	BuildNumber string `json:"BuildNumber,omitempty"`
}

// AccountRiskIndicators describes the user's account with the TPP (the wallet).
type AccountRiskIndicators struct {
	UserOnboardingDateTime string              `json:"UserOnboardingDateTime,omitempty"`
	LastAccountChangeDate  string              `json:"LastAccountChangeDate,omitempty"`
	LastPasswordChangeDate string              `json:"LastPasswordChangeDate,omitempty"`
	SuspiciousActivity     string              `json:"SuspiciousActivity,omitempty"`
	TransactionHistory     *TransactionHistory `json:"TransactionHistory,omitempty"`
}

// TransactionHistory counts the account's transactions.
type TransactionHistory struct {
	LastDay  *int64 `json:"LastDay,omitempty"`
	LastYear *int64 `json:"LastYear,omitempty"`
}

// TransactionIndicators describes how the payment was initiated.
type TransactionIndicators struct {
	IsCustomerPresent *bool           `json:"IsCustomerPresent,omitempty"`
	IsContractPresent *bool           `json:"IsContractPresent,omitempty"`
	Channel           string          `json:"Channel,omitempty"`
	ChannelType       string          `json:"ChannelType,omitempty"`
	SubChannelType    string          `json:"SubChannelType,omitempty"`
	PaymentProcess    *PaymentProcess `json:"PaymentProcess,omitempty"`
}

// PaymentProcess counts payment attempts and times the current one.
type PaymentProcess struct {
	TotalDuration                *int64 `json:"TotalDuration,omitempty"`
	CurrentSessionAttempts       *int64 `json:"CurrentSessionAttempts,omitempty"`
	CurrentSessionFailedAttempts *int64 `json:"CurrentSessionFailedAttempts,omitempty"`
	Last24HourAttempts           *int64 `json:"Last24HourAttempts,omitempty"`
	Last24HourFailedAttempts     *int64 `json:"Last24HourFailedAttempts,omitempty"`
}

// CreditorIndicators describes the payee.
type CreditorIndicators struct {
	AccountType            string       `json:"AccountType,omitempty"`
	IsCreditorPrePopulated *bool        `json:"IsCreditorPrePopulated,omitempty"`
	TradingName            *TradingName `json:"TradingName,omitempty"`
	IsVerifiedByTPP        *bool        `json:"IsVerifiedByTPP,omitempty"`
	IsCreditorConfirmed    *bool        `json:"IsCreditorConfirmed,omitempty"`
}

// TradingName is the creditor's trading brand (an object, not a string,
// whatever risk.md and the O3 sample say: uae-spec §6).
type TradingName struct {
	EN string `json:"en,omitempty"`
	AR string `json:"ar,omitempty"`
}
