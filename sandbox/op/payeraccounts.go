package op

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The standalone bank's payer accounts (`payterm sandbox --standard op --payer-accounts`): which
// IBANs a payer holds at the bank (Config.PayerAccounts), for the payer-account rule and the
// exemption's own-account category. One spec per payer: "[payer=]IBAN[,IBAN…]", the payer being
// the authorize page's user (DefaultPayer when left out).

// DefaultPayer is who approves on the authorize page unless the tester types another user.
const DefaultPayer = "sandbox-user"

// MaxPayerAccounts is the most accounts one payer may be given (as the wallet's own_accounts).
const MaxPayerAccounts = 20

// ParsePayerAccounts reads one spec into the payer and its IBANs in electronic form (spaces
// dropped, letters upper-cased; nothing else is changed). A refusal quotes nothing typed: it
// names the position of the account at fault.
func ParsePayerAccounts(spec string) (payer string, ibans []string, err error) {
	payer, list := DefaultPayer, spec
	if k := strings.IndexByte(spec, '='); k >= 0 {
		payer, list = spec[:k], spec[k+1:]
		if !printable(payer, 64) || strings.ContainsAny(payer, "=,") {
			return "", nil, errors.New("the payer before = must be 1 to 64 printable ASCII characters without spaces, = or , (the authorize page's user, such as sandbox-user)")
		}
	}
	if strings.TrimSpace(list) == "" {
		return "", nil, errors.New("no account: list the payer's IBANs, separated by commas")
	}
	parts := strings.Split(list, ",")
	if len(parts) > MaxPayerAccounts {
		return "", nil, fmt.Errorf("%d accounts: a payer holds at most %d here", len(parts), MaxPayerAccounts)
	}
	for i, p := range parts {
		a := strings.ToUpper(strings.Join(strings.Fields(p), ""))
		if !validIBAN(a) {
			return "", nil, fmt.Errorf("account %d is not an IBAN (country, check digits, 11 to 30 more letters or digits, mod 97)", i+1)
		}
		if slices.Contains(ibans, a) {
			return "", nil, fmt.Errorf("account %d is listed twice", i+1)
		}
		ibans = append(ibans, a)
	}
	return payer, ibans, nil
}

// PayerAccountsOf reads every spec into Config.PayerAccounts; a payer named twice is refused.
func PayerAccountsOf(specs []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, s := range specs {
		payer, ibans, err := ParsePayerAccounts(s)
		if err != nil {
			return nil, err
		}
		if _, dup := out[payer]; dup {
			return nil, errors.New("a payer is given accounts twice: list all of them in one value")
		}
		out[payer] = ibans
	}
	return out, nil
}

// payerAccountsLine is the banner's account of the payers: how many accounts each holds (the
// IBANs themselves stay off the terminal).
func payerAccountsLine(m map[string][]string) string {
	if len(m) == 0 {
		return "none given (--payer-accounts): the payer's account is not checked, no transfer is own-account"
	}
	payers := make([]string, 0, len(m))
	for p := range m {
		payers = append(payers, p)
	}
	slices.Sort(payers)
	parts := make([]string, len(payers))
	for i, p := range payers {
		n := len(m[p])
		parts[i] = fmt.Sprintf("%s holds %d account", p, n)
		if n != 1 {
			parts[i] += "s"
		}
	}
	return strings.Join(parts, "; ")
}
