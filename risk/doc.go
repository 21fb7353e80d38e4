// Package risk builds the Risk block (AERisk, uae-spec §6) that proves the
// wallet's own strong customer authentication to the bank under delegated
// SCA, in its two shapes:
//
//	ForConsent(ConsentInput) (Risk, error) // consent PII at PAR time; the
//	    authorization-endpoints schema AEBankServiceInitiationRichAuthorizationRequests.AERisk,
//	    every nested object closed
//	ForPayment(PaymentInput) (Risk, error) // payment PII at POST /payments; the
//	    bank-initiation schema AERisk
//
// The builders are pure: every fact comes in through plain input structs
// (SCAFacts, Device, App, History, Payee) that wallet/ fills from
// sca.Evidence, the device key, the ledger and the payee record; the clock
// reading comes in as Now. This package imports neither sca/ nor wallet/.
// DetectDevice and AppFromBuild are the separate helpers that read the
// environment and the build information for wallet/ to pass in.
//
// Rule: fill every field the wallet knows or can derive, and nothing it
// does not know. Unknown values are left out, never sent as "" (a bank may
// score an empty string as a value). Inputs are checked (counts ≥ 0, failed
// ≤ attempts, no time after Now, enum values, printable text within the
// schema's lengths) and a bad input is an error wrapping ErrInvalidInput
// that names the field, never the value.
//
// # What is filled and from where
//
//	DebtorIndicators.Authentication     SCAFacts: AuthenticationChannel, KnowledgeFactor
//	                                    {IsUsed,Type PIN}, PossessionFactor {IsUsed,Type
//	                                    OTPApp}, ChallengeOutcome, AuthenticationFlow (MFA
//	                                    when knowledge and possession were both used, else
//	                                    Other), AuthenticationValue (the device-key JWS
//	                                    over the dynamic-linking payload), ChallengeDateTime
//	DebtorIndicators.DeviceInformation  Device: DeviceType, DeviceOperatingSystem(+Version),
//	                                    DeviceManufacturer, DeviceLanguage,
//	                                    DeviceLocalDateTime (Now in the device's zone),
//	                                    DeviceBindingId (device-key JWK thumbprint),
//	                                    LastBindingDateTime, BindingDuration (Now − BoundAt,
//	                                    ISO 8601), BindingStatus
//	DebtorIndicators.AppInformation     App: AppVersion, PackageName, BuildNumber
//	DebtorIndicators.AccountRisk…       History: UserOnboardingDateTime (wallet enrolment),
//	                                    LastAccountChangeDate, LastPasswordChangeDate (the
//	                                    PIN is the account's knowledge credential),
//	                                    SuspiciousActivity (only when wallet/ has a
//	                                    verdict), TransactionHistory {LastDay, LastYear}
//	TransactionIndicators               IsCustomerPresent true (payterm has no unattended
//	                                    payments), IsContractPresent (Payee), Channel,
//	                                    ChannelType, SubChannelType (below),
//	                                    PaymentProcess from History (+ TotalDuration =
//	                                    Now − Started at payment time)
//	CreditorIndicators                  Payee: AccountType Retail|Corporate (payment time
//	                                    only), IsCreditorPrePopulated, IsVerifiedByTPP,
//	                                    IsCreditorConfirmed (CoP), TradingName {en, ar}
//
// Left out because the wallet does not know them: DeviceId and
// AlternativeDeviceId (an IMEISV; a machine-id would be a tracking
// identifier, not an IMEI), GeoLocation (no GPS; IP geolocation is a
// guess), ConnectionType, ScreenInformation, BatteryStatus, TouchSupport,
// MotionSensors, DeviceEnvironmentContext, BiometricCapabilities (the
// wallet cannot tell whether the machine has a sensor), InherenceFactor
// unless one was used (payterm has no biometric element; omission says so
// without an IsUsed:false that could read as "offered and declined"),
// BrowserInformation and UserBehavior (not a browser), UserName (the wallet
// does not hold the user's legal name), MerchantRisk,
// DestinationDeliveryAddress, MerchantDetails and
// AdditionalAccountHolderIdentifiers (no merchant, no goods), and every
// SupplementaryData (empty objects carry nothing). At consent time the
// CreditorIndicators are set only for a single-beneficiary consent (one
// creditor to describe), AccountType never (its consent-time enum,
// CurrentAccount|Savings|..., contradicts the payment-time Retail|Corporate
// and says nothing the wallet knows: uae-spec §10 C6), and the
// PaymentProcess has no TotalDuration (no payment is in progress) and no
// session counts while the session has had no payment attempt (the
// schema's minimum for CurrentSessionAttempts is 1).
//
// # A terminal in enums built for apps and browsers
//
// The standard describes mobile apps and web browsers; payterm is a
// program in a terminal. Each value below is the closest honest one:
//
//   - AuthenticationChannel = App. The user authenticated inside an
//     installed native application (PIN and TOTP typed into payterm
//     itself), not on a web page. App is exactly that, whatever the screen.
//   - Channel = Web on a desktop, Mobile on a mobile device (Termux on
//     Android). Channel has only Web|Mobile; there is no CLI value. Mobile
//     on a laptop would contradict DeviceType=Desktop, and Web is the
//     schema's only non-mobile channel, so Channel follows the device
//     class: it is not a claim that a browser was used (SubChannelType
//     says otherwise).
//   - ChannelType = InApp. The payment is initiated inside the TPP's own
//     application. It is not ECommerce (no merchant checkout), not
//     RecurringPayment (each payment is made by the user), not InStore.
//   - SubChannelType = Other. The list (WebBrowser, MobileApp, SmartTV,
//     WearableDevice, POSTerminal, ATM, KioskTerminal) has no desktop
//     application; POSTerminal and KioskTerminal are merchant or
//     bank hardware, so a "terminal" emulator is none of them, and MobileApp
//     would be false on a desktop. Other is the truthful value.
//   - DeviceType = Desktop (desktops and laptops), Mobile on Android/iOS.
//
// # Consumers
//
// wallet/ calls ForPayment with sca.Evidence mapped to SCAFacts and puts the
// Risk into the payment PII; consent/ (through wallet/) calls ForConsent for
// the consent PII. The sandbox validates both against the official schemas.
package risk
