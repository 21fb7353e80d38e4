package uae

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/provider"
)

// CoPClient is the Confirmation of Payee part of the bank client; *lfi.Client satisfies it. A
// Client without it cannot check payees (CheckPayeeName says so).
type CoPClient interface {
	ConfirmationOfPayee(ctx context.Context, iban string, name lfi.CoPName) (*lfi.CoPResult, error)
}

var (
	_ CoPClient               = (*lfi.Client)(nil)
	_ provider.PayeeConfirmer = (*Bank)(nil)
)

// CheckPayeeName asks the UAE Confirmation of Payee service whether p's name holds p's account
// (discovery at the Hub, then confirmation at the LFI that holds the account). A person's name
// is sent as FullName, a business's (Kind "corporate") as BusinessName. No such account is
// PayeeNotFound; a service that cannot answer is PayeeUnavailable with the cause as the error.
func (b *Bank) CheckPayeeName(ctx context.Context, p provider.Party) (provider.PayeeCheck, error) {
	cop, ok := b.cfg.Client.(CoPClient)
	if !ok {
		return provider.PayeeCheck{Answer: provider.PayeeUnavailable}, errors.New("uae: this bank client cannot check payees")
	}
	checked, err := b.CheckPayee(p, "")
	if err != nil {
		return provider.PayeeCheck{}, err
	}
	name := lfi.CoPName{FullName: checked.Name}
	if p.Kind == "corporate" {
		name = lfi.CoPName{BusinessName: checked.Name}
	}
	res, err := cop.ConfirmationOfPayee(lfiCtx(ctx), checked.Account, name)
	switch {
	case errors.Is(err, lfi.ErrNotFound):
		return provider.PayeeCheck{Answer: provider.PayeeNotFound}, nil
	case err != nil:
		return provider.PayeeCheck{Answer: provider.PayeeUnavailable}, fmt.Errorf("confirmation of payee: %w", err)
	case res.OptedOut:
		return provider.PayeeCheck{Answer: provider.PayeeOptedOut}, nil
	}
	out := provider.PayeeCheck{BankName: res.MaskedName, Evidence: res.JWS}
	switch res.Match {
	case lfi.CoPMatchYes:
		out.Answer = provider.PayeeMatch
	case lfi.CoPMatchPartial:
		out.Answer = provider.PayeeCloseMatch
	case lfi.CoPMatchNo:
		out.Answer = provider.PayeeNoMatch
	default:
		return provider.PayeeCheck{Answer: provider.PayeeUnavailable}, fmt.Errorf("confirmation of payee: unknown answer")
	}
	return out, nil
}

// withCoP adds the CoP JWS to the creditor as ConfirmationOfPayeeResponse, keeping the
// consent-time bytes as they were (the bank matches them) and appending the member.
func withCoP(creditor json.RawMessage, jws string) (json.RawMessage, error) {
	if jws == "" {
		return creditor, nil
	}
	if !validCompactJWS(jws) {
		return nil, errors.New("the stored Confirmation of Payee answer is not a compact JWS")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(creditor, &m); err != nil || m == nil {
		return nil, errors.New("the payee's creditor is not a JSON object")
	}
	if _, dup := m["ConfirmationOfPayeeResponse"]; dup {
		return nil, errors.New("the payee's creditor already carries a Confirmation of Payee answer")
	}
	t := bytes.TrimRight(creditor, " \t\r\n")
	member, _ := json.Marshal(jws)
	out := append([]byte(nil), t[:len(t)-1]...)
	if len(m) > 0 {
		out = append(out, ',')
	}
	out = append(out, `"ConfirmationOfPayeeResponse":`...)
	out = append(out, member...)
	return append(out, '}'), nil
}

// validCompactJWS: three non-empty base64url parts.
func validCompactJWS(s string) bool {
	parts, dots := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if parts == 0 {
				return false
			}
			dots++
			parts = 0
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			parts++
		default:
			return false
		}
	}
	return dots == 2 && parts > 0 && len(s) <= 64<<10
}
