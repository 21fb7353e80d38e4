// Package specs validates JSON values against the component schemas of the
// official UAE Open Finance v2.1 OpenAPI files (../shared/specs/uae-v2.1), so
// tests can prove that what payterm emits (and what the sandbox answers) is
// what a strict bank expects. It is test tooling: production code must not
// depend on the spec files being present.
//
// API:
//
//	dir, err := specs.Dir()                      // where the YAML files live
//	doc, err := specs.Load(specs.BankInitiation) // parsed once per process, then cached
//	err = doc.Validate("AERisk", jsonBytes)      // *ValidationError when the value does not conform
//	err = doc.ValidateValue("AERisk", goValue)   // json.Marshal, then Validate
//	doc := specs.Require(t, specs.AuthorizationEndpoints) // in tests: skip or fail when absent
//
// Locating the files: env PAYTERM_SPECS_DIR when set (it must then exist),
// else ../shared/specs/uae-v2.1 relative to the module root, found by walking
// up from the working directory to the first go.mod. Require skips a test
// with a reason when the default directory is absent and fails it instead
// when PAYTERM_REQUIRE_E2E=1 (CI).
//
// Strictness is the file's own: additionalProperties:false, required,
// enum, pattern, min/max, nullable and oneOf/discriminator as kin-openapi
// implements them for OpenAPI 3.0. kin-openapi checks a string "format" only
// when a validator for it is registered, and by default knows only date,
// date-time and byte; this package supplies validators for every format the
// files use (date-time, date, uuid, duration, email, uri, url, base64, byte),
// per validation rather than through kin-openapi's global registry, and Load
// refuses a file that uses a format nobody checks, so a format can never pass
// unchecked silently.
//
// Input must be exactly one JSON value; duplicate object keys are refused
// (encoding/json would silently keep the last one). Errors are a
// *ValidationError listing every problem as a JSON pointer and a reason,
// never the offending value, because values may be secrets or PII.
//
// The files' known defects (README next to them) are not patched here;
// defects_test.go pins how they validate (for example, validate consent
// responses against the bank-initiation file, whose AECreationDateTime is a
// string, not an object).
package specs

// File names of the official OpenAPI files, relative to Dir().
const (
	BankInitiation          = "uae-bank-initiation-openapi.yaml"
	AuthorizationEndpoints  = "uae-authorization-endpoints-openapi.yaml"
	ConfirmationOfPayee     = "uae-confirmation-of-payee-openapi.yaml"
	AccountInformation      = "uae-account-information-openapi.yaml"
	TrustFrameworkDirectory = "uae-trust-framework-participants.yaml"
	HubAuthorisationServer  = "uae-api-hub-authorisation-server-openapi.yaml"
	HubConsentManager       = "uae-api-hub-consent-manager-openapi.yaml"
	OzoneBankServiceInit    = "uae-ozone-connect-bank-service-initiation-openapi.yaml"
	OzoneConsentEvents      = "uae-ozone-connect-consent-events-actions-openapi.yaml"
)
