package op

import "slices"

// Own-account transfers (OP's exemption category b): a SEPA transfer between two of the payer's
// own accounts at OP skips SCA in the exemption flow whatever its amount, and is not counted
// toward the < 5 / < 100 EUR limits. The bank knows which accounts are whose (Config.PayerAccounts,
// SetPayerAccounts); the wallet can only claim it by naming both accounts.

// SetPayerAccounts records ibans as payer's accounts at the bank (replacing any before).
func (b *Bank) SetPayerAccounts(payer string, ibans ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.accounts == nil {
		b.accounts = map[string][]string{}
	}
	b.accounts[payer] = append([]string(nil), ibans...)
}

// ownsAccount: payer holds iban at the bank (the caller holds the lock).
func (b *Bank) ownsAccount(payer, iban string) bool {
	return iban != "" && slices.Contains(b.accounts[payer], iban)
}

// knowsAccounts: the bank has the payer's account list (the caller holds the lock). Without
// it, neither the payer-account rule nor the own-account category can be judged: the
// payer-account check is skipped and no transfer counts as own-account.
func (b *Bank) knowsAccounts(payer string) bool { return len(b.accounts[payer]) > 0 }

// ownTransfer: p moves money between two different accounts of payer (the caller holds the
// lock).
func (b *Bank) ownTransfer(payer string, p *Payment) bool {
	return p.Foreign == nil && p.PayerIBAN != p.PayeeIBAN && b.ownsAccount(payer, p.PayerIBAN) && b.ownsAccount(payer, p.PayeeIBAN)
}
