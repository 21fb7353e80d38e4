package ui

import (
	"strings"
)

// The wallet-level view: when the wallet's banks speak different standards (a UAE bank, a Berlin
// Group bank, a Fintecture hub, …), Home, Consents and the inspector list them side by side —
// each bank's standard, currency, who approves a payment and how requests are signed — so the
// payer sees why paying at one bank asks different things than at another. Everything comes
// from PayTerms (the core reads it from each provider's Caps); nothing here knows a wire format.
// With one standard nothing is drawn: the screens stay what they always were.

// mixedStandards reports whether banks speak more than one standard.
func mixedStandards(banks []BankOption) bool {
	seen := ""
	for _, b := range banks {
		s := b.Terms.resolved().Standard
		if seen == "" {
			seen = s
		} else if s != seen {
			return true
		}
	}
	return false
}

// consentBanks are the banks of the consents (links) listed, each once, in the order first met,
// with the terms its consent carries.
func consentBanks(cs []Consent) []BankOption {
	var out []BankOption
	seen := map[string]bool{}
	for _, c := range cs {
		id := c.BankID + "\x00" + c.Bank
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, BankOption{ID: c.BankID, Name: c.Bank, Terms: c.Terms})
	}
	return out
}

// approvalWords is who approves a payment at a bank, in a few words.
func approvalWords(t PayTerms) string {
	t = t.resolved()
	if a := plainName(t.Approval); a != "" {
		return a
	}
	if t.WalletSCA == SCADelegated {
		return "in payterm (PIN + code)"
	}
	return "at the bank, each payment"
}

// schemeWords is how requests to a bank are signed, in a few words.
func schemeWords(t PayTerms) string {
	t = t.resolved()
	if s := plainName(t.Scheme); s != "" {
		return s
	}
	return plainName(t.Signing)
}

// standardsView is the side-by-side table of banks ("" when they share one standard). On a
// wide terminal one line per bank: bank, standard, currency, approval, signature. Narrower, a
// bank's line keeps its currency and approval and the line under it says its standard and
// signature; what still does not fit is cut at the edge (a row is never wrapped).
func standardsView(st Styles, banks []BankOption, width int) string {
	if !mixedStandards(banks) {
		return ""
	}
	type row struct{ bank, std, cur, appr, sig string }
	head := row{"Bank", "Standard", "Cur", "Approval", "Signature"}
	rows := []row{}
	for _, b := range banks {
		t := b.Terms.resolved()
		name := plainName(b.Name)
		if name == "" {
			name = plainName(b.ID)
		}
		rows = append(rows, row{bank: truncate(name, 22), std: plainName(t.Standard), cur: currencyCode(t.Currency),
			appr: approvalWords(t), sig: schemeWords(t)})
	}
	var bw, sw, cw, aw, gw int
	for _, r := range append(rows, head) {
		bw, sw, cw = max(bw, displayWidth(r.bank)), max(sw, displayWidth(r.std)), max(cw, displayWidth(r.cur))
		aw, gw = max(aw, displayWidth(r.appr)), max(gw, displayWidth(r.sig))
	}
	oneLine := 2+bw+2+sw+2+cw+2+aw+2+gw <= width
	line := func(r row) string {
		s := "  " + padRight(r.bank, bw) + "  "
		if oneLine {
			s += padRight(r.std, sw) + "  " + padRight(r.cur, cw) + "  " + padRight(r.appr, aw) + "  " + r.sig
		} else {
			s += padRight(r.cur, cw) + "  " + r.appr
		}
		return truncate(strings.TrimRight(s, " "), width)
	}
	var b strings.Builder
	b.WriteString(st.Title.Render("Your banks") + "\n")
	if oneLine {
		b.WriteString(st.Muted.Render(line(head)) + "\n")
	} else {
		b.WriteString(st.Muted.Render(line(head)+"  (standard · signature under each)") + "\n")
	}
	for _, r := range rows {
		b.WriteString(line(r) + "\n")
		if !oneLine {
			b.WriteString(st.Muted.Render(truncate("    "+r.std+" · "+r.sig, width)) + "\n")
		}
	}
	return b.String()
}

// pick is the wider of two cells.
func pick(a, b string) string {
	if displayWidth(b) > displayWidth(a) {
		return b
	}
	return a
}
