package rules

// Risk is AERisk (uae-spec §6). Consent time: every object closed,
// SupplementaryData must be {}. Payment time: root closed, nested objects
// closed unless Options.OpenNestedPaymentRisk.
type Risk struct {
	DebtorIndicators           *DebtorIndicators           `json:"DebtorIndicators,omitempty"`
	DestinationDeliveryAddress *DestinationDeliveryAddress `json:"DestinationDeliveryAddress,omitempty"`
	TransactionIndicators      *TransactionIndicators      `json:"TransactionIndicators,omitempty"`
	CreditorIndicators         *CreditorIndicators         `json:"CreditorIndicators,omitempty"`
}

type DebtorIndicators struct {
	Authentication        *Authentication        `json:"Authentication,omitempty"`
	UserName              *LocalizedName         `json:"UserName,omitempty"`
	GeoLocation           *GeoLocation           `json:"GeoLocation,omitempty"`
	DeviceInformation     *DeviceInformation     `json:"DeviceInformation,omitempty"`
	BiometricCapabilities *BiometricCapabilities `json:"BiometricCapabilities,omitempty"`
	AppInformation        *AppInformation        `json:"AppInformation,omitempty"`
	BrowserInformation    *BrowserInformation    `json:"BrowserInformation,omitempty"`
	UserBehavior          *UserBehavior          `json:"UserBehavior,omitempty"`
	AccountRiskIndicators *AccountRiskIndicators `json:"AccountRiskIndicators,omitempty"`
	SupplementaryData     *SupplementaryData     `json:"SupplementaryData,omitempty"`
}

// SupplementaryData must be {} when closed.
type SupplementaryData struct{}

type Factor struct {
	IsUsed *bool   `json:"IsUsed,omitempty"`
	Type   *string `json:"Type,omitempty"`
}

type Authentication struct {
	AuthenticationChannel *string `json:"AuthenticationChannel,omitempty"`
	PossessionFactor      *Factor `json:"PossessionFactor,omitempty"`
	KnowledgeFactor       *Factor `json:"KnowledgeFactor,omitempty"`
	InherenceFactor       *Factor `json:"InherenceFactor,omitempty"`
	ChallengeOutcome      *string `json:"ChallengeOutcome,omitempty"`
	AuthenticationFlow    *string `json:"AuthenticationFlow,omitempty"`
	AuthenticationValue   *string `json:"AuthenticationValue,omitempty"`
	ChallengeDateTime     *string `json:"ChallengeDateTime,omitempty"`
}

type GeoLocation struct {
	Latitude  *string `json:"Latitude"`
	Longitude *string `json:"Longitude"`
}

type DeviceInformation struct {
	DeviceId                     *string             `json:"DeviceId,omitempty"`
	AlternativeDeviceId          *string             `json:"AlternativeDeviceId,omitempty"`
	DeviceOperatingSystem        *string             `json:"DeviceOperatingSystem,omitempty"`
	DeviceOperatingSystemVersion *string             `json:"DeviceOperatingSystemVersion,omitempty"`
	DeviceBindingId              *string             `json:"DeviceBindingId,omitempty"`
	LastBindingDateTime          *string             `json:"LastBindingDateTime,omitempty"`
	BindingDuration              *string             `json:"BindingDuration,omitempty"`
	BindingStatus                *string             `json:"BindingStatus,omitempty"`
	DeviceType                   *string             `json:"DeviceType,omitempty"`
	DeviceManufacturer           *DeviceManufacturer `json:"DeviceManufacturer,omitempty"`
	DeviceLanguage               *string             `json:"DeviceLanguage,omitempty"`
	DeviceLocalDateTime          *string             `json:"DeviceLocalDateTime,omitempty"`
	ConnectionType               *string             `json:"ConnectionType,omitempty"`
	ScreenInformation            *ScreenInformation  `json:"ScreenInformation,omitempty"`
	BatteryStatus                *BatteryStatus      `json:"BatteryStatus,omitempty"`
	TouchSupport                 *TouchSupport       `json:"TouchSupport,omitempty"`
	MotionSensors                *MotionSensors      `json:"MotionSensors,omitempty"`
	DeviceEnvironmentContext     []string            `json:"DeviceEnvironmentContext,omitempty"`
}

type DeviceManufacturer struct {
	Model        *string `json:"Model,omitempty"`
	Manufacturer *string `json:"Manufacturer,omitempty"`
}

type ScreenInformation struct {
	PixelDensity *float64 `json:"PixelDensity,omitempty"`
	Orientation  *string  `json:"Orientation,omitempty"`
}

type BatteryStatus struct {
	Level      *float64 `json:"Level,omitempty"`
	IsCharging *bool    `json:"IsCharging,omitempty"`
}

type TouchSupport struct {
	Supported      *bool  `json:"Supported,omitempty"`
	MaxTouchPoints *int64 `json:"MaxTouchPoints,omitempty"`
}

type MotionSensors struct {
	Status        *string `json:"Status,omitempty"`
	Accelerometer *bool   `json:"Accelerometer,omitempty"`
	Gyroscope     *bool   `json:"Gyroscope,omitempty"`
}

type BiometricCapabilities struct {
	SupportsBiometric *bool    `json:"SupportsBiometric,omitempty"`
	BiometricTypes    []string `json:"BiometricTypes,omitempty"`
}

type AppInformation struct {
	AppVersion  *string `json:"AppVersion,omitempty"`
	PackageName *string `json:"PackageName,omitempty"`
	BuildNumber *string `json:"BuildNumber,omitempty"`
}

type BrowserInformation struct {
	UserAgent        *string  `json:"UserAgent,omitempty"`
	IsCookiesEnabled *bool    `json:"IsCookiesEnabled,omitempty"`
	AvailableFonts   []string `json:"AvailableFonts,omitempty"`
	Plugins          []string `json:"Plugins,omitempty"`
	PixelRatio       *float64 `json:"PixelRatio,omitempty"`
}

type UserBehavior struct {
	ScrollBehavior *ScrollBehavior `json:"ScrollBehavior,omitempty"`
}

type ScrollBehavior struct {
	Direction *string  `json:"Direction,omitempty"`
	Speed     *float64 `json:"Speed,omitempty"`
	Frequency *float64 `json:"Frequency,omitempty"`
}

type AccountRiskIndicators struct {
	UserOnboardingDateTime *string             `json:"UserOnboardingDateTime,omitempty"`
	LastAccountChangeDate  *string             `json:"LastAccountChangeDate,omitempty"`
	LastPasswordChangeDate *string             `json:"LastPasswordChangeDate,omitempty"`
	SuspiciousActivity     *string             `json:"SuspiciousActivity,omitempty"`
	TransactionHistory     *TransactionHistory `json:"TransactionHistory,omitempty"`
}

type TransactionHistory struct {
	LastDay  *int64 `json:"LastDay,omitempty"`
	LastYear *int64 `json:"LastYear,omitempty"`
}

type DestinationDeliveryAddress struct {
	RecipientType   *string        `json:"RecipientType,omitempty"`
	RecipientName   *LocalizedName `json:"RecipientName,omitempty"`
	NationalAddress []Address      `json:"NationalAddress,omitempty"`
}

type TransactionIndicators struct {
	IsCustomerPresent *bool              `json:"IsCustomerPresent,omitempty"`
	IsContractPresent *bool              `json:"IsContractPresent,omitempty"`
	Channel           *string            `json:"Channel,omitempty"`
	ChannelType       *string            `json:"ChannelType,omitempty"`
	SubChannelType    *string            `json:"SubChannelType,omitempty"`
	PaymentProcess    *PaymentProcess    `json:"PaymentProcess,omitempty"`
	MerchantRisk      *MerchantRisk      `json:"MerchantRisk,omitempty"`
	SupplementaryData *SupplementaryData `json:"SupplementaryData,omitempty"`
}

type PaymentProcess struct {
	TotalDuration                *int64 `json:"TotalDuration,omitempty"`
	CurrentSessionAttempts       *int64 `json:"CurrentSessionAttempts,omitempty"`
	CurrentSessionFailedAttempts *int64 `json:"CurrentSessionFailedAttempts,omitempty"`
	Last24HourAttempts           *int64 `json:"Last24HourAttempts,omitempty"`
	Last24HourFailedAttempts     *int64 `json:"Last24HourFailedAttempts,omitempty"`
}

type MerchantRisk struct {
	DeliveryTimeframe               *string `json:"DeliveryTimeframe,omitempty"`
	ReorderItemsIndicator           *string `json:"ReorderItemsIndicator,omitempty"`
	PreOrderPurchaseIndicator       *string `json:"PreOrderPurchaseIndicator,omitempty"`
	IsGiftCardPurchase              *bool   `json:"IsGiftCardPurchase,omitempty"`
	IsDeliveryAddressMatchesBilling *bool   `json:"IsDeliveryAddressMatchesBilling,omitempty"`
	AddressMatchLevel               *string `json:"AddressMatchLevel,omitempty"`
}

type CreditorIndicators struct {
	AccountType                        *string                        `json:"AccountType,omitempty"`
	IsCreditorPrePopulated             *bool                          `json:"IsCreditorPrePopulated,omitempty"`
	TradingName                        *LocalizedName                 `json:"TradingName,omitempty"`
	IsVerifiedByTPP                    *bool                          `json:"IsVerifiedByTPP,omitempty"`
	AdditionalAccountHolderIdentifiers []AdditionalAccountHolderIdent `json:"AdditionalAccountHolderIdentifiers,omitempty"`
	MerchantDetails                    *MerchantDetails               `json:"MerchantDetails,omitempty"`
	IsCreditorConfirmed                *bool                          `json:"IsCreditorConfirmed,omitempty"`
	SupplementaryData                  *SupplementaryData             `json:"SupplementaryData,omitempty"`
}

type AdditionalAccountHolderIdent struct {
	SchemeName     string         `json:"SchemeName"`
	Identification string         `json:"Identification"`
	Name           *LocalizedName `json:"Name,omitempty"`
}

type MerchantDetails struct {
	MerchantId           *string `json:"MerchantId,omitempty"`
	MerchantName         *string `json:"MerchantName,omitempty"`
	MerchantSICCode      *string `json:"MerchantSICCode,omitempty"`
	MerchantCategoryCode *string `json:"MerchantCategoryCode,omitempty"`
}
