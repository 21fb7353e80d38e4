package ui

// The consent list's columns: their widths from the terminal's, and bank names that stay
// apart when cut.

// consentColumns sizes the list from the width it has: the amount column fits the widest
// amount, and the bank name gets what the fixed columns leave (its full length when it fits).
// Below 70 columns the product column ("Flexi Pay", the same on every row) is left out, and so
// it is when a consent in the list is at a bank under another standard (no Flexi Pay there: the
// detail names its standard).
func consentColumns(l []Consent, banks []string, width int, renew bool) (bankW, paidW int, product string) {
	longest := 0
	flexi := true
	for i, c := range l {
		longest = max(longest, displayWidth(banks[i]))
		paidW = max(paidW, displayWidth(paidText(c)))
		flexi = flexi && c.Terms.delegated()
	}
	// "> " + bank + "  " + status 10 + " " + product + "expires 2006-01-02" + "  paid " +
	// amount (+ "  renew soon" when a row says it)
	product = "Flexi Pay "
	if width < 70 || !flexi {
		product = ""
	}
	fixed := 2 + 2 + 10 + 1 + len(product) + 18 + 7 + paidW
	if renew {
		fixed += 12
	}
	// At least as wide as the old fixed column, so short names keep the table aligned as before.
	return max(8, min(max(longest, 18), width-fixed)), paidW, product
}

// bankCells cuts each bank label to w cells with an ellipsis at the end. Labels that would then
// look the same (names sharing a long beginning, "Example Bank of the Northern/Southern …") drop
// the words they share instead: "…Northern…", so two banks stay apart on a narrow terminal.
func bankCells(labels []string, w int) []string {
	out := make([]string, len(labels))
	for i, l := range labels {
		out[i] = truncate(l, w)
	}
	for i := range labels {
		shared := 0 // bytes of the longest beginning label i shares with a label it collides with
		for j := range labels {
			if i != j && labels[i] != labels[j] && truncate(labels[i], w) == truncate(labels[j], w) {
				shared = max(shared, commonWords(labels[i], labels[j]))
			}
		}
		if shared > 0 {
			out[i] = truncate("…"+labels[i][shared:], w)
		}
	}
	return out
}

// commonWords is the length in bytes of the whole words (each with its following space) a and b
// begin with.
func commonWords(a, b string) int {
	n := 0
	for i := 0; i < len(a) && i < len(b) && a[i] == b[i]; i++ {
		if a[i] == ' ' {
			n = i + 1
		}
	}
	return n
}

// bankColumn is the bank cell of each listed consent: its name, and its bank id in brackets
// when another consent the wallet knows has the same name at a different bank (two configured
// banks may share a display name; the rows must still tell them apart).
func bankColumn(l, all []Consent) []string {
	out := make([]string, len(l))
	for i, c := range l {
		out[i] = consentBank(c)
		for _, o := range all {
			if consentBank(o) == out[i] && o.BankID != c.BankID && plainName(c.BankID) != "" {
				out[i] += " (" + plainName(c.BankID) + ")"
				break
			}
		}
	}
	return out
}
