package sca

import (
	"fmt"
	"slices"
)

// Category is an SCA element category (RTS Arts 6-8; UAE Risk KnowledgeFactor,
// PossessionFactor, InherenceFactor).
type Category string

// Categories.
const (
	Knowledge  Category = "Knowledge"
	Possession Category = "Possession"
	Inherence  Category = "Inherence"
)

// FactorType is a factor Type as the UAE Risk schema spells it.
type FactorType string

// Factor types this package implements, plus the ones a configuration may name but which
// are refused (only PIN and OTPApp are implemented).
const (
	FactorPIN            FactorType = "PIN"
	FactorPassword       FactorType = "Password"
	FactorOTPApp         FactorType = "OTPApp"
	FactorTrustedDevice  FactorType = "TrustedDevice"
	FactorSecureEnclave  FactorType = "SecureEnclaveKey"
	FactorFingerprint    FactorType = "Fingerprint"
	FactorDeviceBiometry FactorType = "DeviceBiometrics"
)

// categoryOf maps the UAE factor types to their category. SMSOTP and EmailOTP appear in both
// the Knowledge and the Possession enums of the UAE schema; they are not implemented here.
var categoryOf = map[FactorType]Category{
	FactorPIN:            Knowledge,
	FactorPassword:       Knowledge,
	FactorOTPApp:         Possession,
	FactorTrustedDevice:  Possession,
	FactorSecureEnclave:  Possession,
	FactorFingerprint:    Inherence,
	FactorDeviceBiometry: Inherence,
}

// implemented are the factors Authenticate can check.
var implemented = []FactorType{FactorPIN, FactorOTPApp}

// DefaultFactors is the only configuration this package runs: a PIN (knowledge) and a TOTP
// authenticator app (possession). The device key signs the result; it is not counted as a
// factor because it lives on the same machine as the wallet.
var DefaultFactors = []FactorType{FactorPIN, FactorOTPApp}

// Factor is one element used in an SCA, as reported in Evidence.
type Factor struct {
	Category Category
	Type     FactorType
}

// CheckFactors refuses a factor configuration that is not SCA: fewer than two factors from
// two different categories (EBA-Op-2018-04, UAE delegated SCA row 9), a duplicate, an unknown
// type, or a type this package does not implement.
func CheckFactors(fs []FactorType) error {
	seen := map[Category]bool{}
	for i, f := range fs {
		c, ok := categoryOf[f]
		if !ok {
			return fmt.Errorf("sca: unknown factor type %q", f)
		}
		if slices.Contains(fs[:i], f) {
			return fmt.Errorf("sca: factor %s listed twice", f)
		}
		if !slices.Contains(implemented, f) {
			return fmt.Errorf("sca: factor %s is not supported (supported: PIN, OTPApp)", f)
		}
		seen[c] = true
	}
	if len(seen) < 2 {
		return fmt.Errorf("sca: factors %v are not strong customer authentication: need two from different categories (knowledge, possession, inherence)", fs)
	}
	return nil
}
