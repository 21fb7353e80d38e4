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
// responses; WithRule re-attributes a shared check.
//
// Exported checks and the rule each implements:
//
//	DecodeStrict           strict JSON: unknown/miscased fields, duplicate keys, null, trailing data (all decoders)
//	CheckIBAN, BankCode    UAE IBAN ^AE\d{21}$ + ISO 13616 mod-97 (rules 18, 19)
//	CheckBIC               BIC 8/11 consistent with the IBAN's bank code (rule 19)
//	IsPurposeCode          AANI purpose codes, embedded list (rule 15)
//	VerifyJWS              compact PS256 JWS, kid, use=sig key, signature (rule 27; JOSE part of 3, 5, 37)
//	OpenPII                PII JWE header/decrypt/inner JWS (rule 17; 31 at payment time)
//	AuthorizationDetails   the DSCA consent RAR (rules 10–16)
//	ConsentPII             consent-time PII (rules 18, 19, 20)
//	ConsentRisk            consent-time Risk values (rule 20)
//	PaymentPII             payment-time PII, flat shape (rules 31, 19, 20)
//	PaymentRisk            payment-time Risk values (rule 20)
//	RiskProvesSCA          Risk proves the TPP's SCA: MFA, Pass, two factor categories, recent (DSCA)
//	MatchCreditor          payment creditor vs consent creditors (rule 32)
//
// Settings the standard leaves open ([SIM-CHOICE]) live in Options; the
// zero value is the strict bank.
package rules
