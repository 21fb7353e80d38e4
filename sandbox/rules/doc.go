// Package rules is the strict bank's rule engine: pure functions that
// decide whether what a TPP sent obeys UAE Open Finance v2.1 as a strict
// LFI/API Hub enforces it (shared/research/uae-spec.md §11). No HTTP
// server, no global mutable state, no clock reads (callers pass now), and
// no imports from the client packages: the sandbox is the independent
// other side of the wire and has its own types.
//
// Every failure is a *Violation{Rule, Code, Message, Path}: Rule is the §11
// rule number, Code the payment-API code of §7.5 (or an OAuth error code on
// the PAR/token side), Path the JSON path or header name. Messages never
// contain PII or secrets. AsOAuth relabels a violation for PAR/token
// responses (IsOAuthCode tells the two code families apart); WithRule
// re-attributes a shared check; AsViolation extracts one from an error.
//
// Exported checks and the rule each implements:
//
//	DecodeStrict             strict JSON: unknown/miscased fields, duplicate keys, null, trailing data (all decoders)
//	ParseForm                /par and /token form: content type, no duplicate/unknown/missing parameters (rule 2)
//	CheckClientAssertionType client_assertion_type is jwt-bearer (rule 3)
//	VerifyClientAssertion    PS256 JWS with the client's use=sig key (rule 3), then ClientAssertion
//	ClientAssertion          iss == sub == client, aud = issuer, exp/iat window ≤ 300 s, jti returned (rule 4)
//	VerifyRequestObject      request is a compact PS256 JWS by the client, not a JWE (rule 5), then RequestObject
//	RequestObject            claims, iss/client_id/aud, no unknown claims (6), time window (7), response_type,
//	                         PKCE, max_age, redirect_uri (8), scope and BDSP (9); calls AuthorizationDetails
//	AuthorizationDetails     one RAR of the v2.1 type, closed schema (10), ConsentId (11), DSCA control
//	                         parameters (12), expiry (13, 14), AANI purpose (15), permissions/CurrencyRequest/refs (16)
//	NeedsAccountsScope       permissions that need the accounts scope (rule 16 with 9)
//	VerifyJWS                compact PS256 JWS, header allow-list, kid, RSA ≥2048 use=sig key, signature (rule 27)
//	OpenPII                  PII JWE: 5 segments, RSA-OAEP-256/A256GCM/our kid, decrypts, inner PS256 JWS (rule 17; 31)
//	ConsentPII               consent-time PII: claims stripped, AEDomesticPaymentPII exactly, 1–10 creditors,
//	                         DebtorAccount, Risk present (rule 18), each creditor (19), Risk (20)
//	CheckIBAN, BankCode      UAE IBAN ^AE\d{21}$ + ISO 13616 mod-97 (rules 18, 19)
//	CheckBIC                 BICFI 8/11 consistent with the IBAN's bank code (rule 19)
//	ConsentRisk, PaymentRisk Risk enums, GeoLocation, ranges (rule 20; closedness is enforced when decoding)
//	RiskProvesSCA            Risk proves the TPP's SCA: MFA, Pass, two factor categories, value, recent (DSCA, rule 20)
//	CheckPKCE                code_verifier shape and S256 match (rule 24)
//	VerifyPaymentBody        VerifyJWS + PaymentJWTClaims for POST /payments (rule 27)
//	PaymentJWTClaims         iss, exp/nbf window ≤ 600 s, aud, no extra claims, message present (rule 27; 37 via WithRule)
//	PaymentRequest           AEPaymentRequest exactly (27), amount/currency/billing (30), purpose (15), PII present (31)
//	PaymentHeaders           idempotency key, interaction id, auth date, customer IP (rule 28)
//	IdempotencyKey           the idempotency-key check alone (rule 28, GET /payments lookup)
//	PaymentPII               payment-time PII: flat Initiation, no DebtorAccount, Risk present (31), creditor (19), Risk (20)
//	MatchCreditor            payment creditor vs single/multiple/open consent (rule 32)
//	PatchConsent             PATCH message: Status Revoked, RevokedBy enum (rule 37)
//	CanRevoke                revocation only from AwaitingAuthorization/Authorized/Suspended (rule 37)
//	IsPurposeCode            the 100 AANI purpose codes, embedded verbatim (rule 15)
//
// Not here, because they need the server's memory or transport: mTLS and
// client mapping (1), jti replay (4), ConsentId reuse (11), PAR/authorize/
// code/token state (21–26), consent state and token binding (26, 29, 38),
// idempotency records (33), response signing (34), payment state machine
// (35), ownership (36), discovery headers (39), rate limits (40).
//
// Settings the standard leaves open ([SIM-CHOICE]) live in Options; the
// zero value is the strict bank.
package rules
