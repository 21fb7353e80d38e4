package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// wrapTokens is wrapHanging for text people copy values out of (the inspector's headers and
// claims): it never puts a space inside a word. A word too wide for an indented continuation
// line is indented less (down to column 0) rather than cut; only a word wider than the whole
// line is cut, after a separator (/ : & = ? , ; then - . _) when one falls on the line, and its
// pieces all start at column 0, so the lines joined without their newlines give the word back.
func wrapTokens(s string, w, hang int) string {
	if w <= 0 {
		return s
	}
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if displayWidth(l) <= w {
			out = append(out, l)
			continue
		}
		indent := leadingSpaces(l)
		if indent >= w/2 {
			indent = 0
		}
		cont := indent
		if indent > 0 && indent+hang < w/2 {
			cont = indent + hang
		}
		out = append(out, tokenLines(l[indent:], w, indent, cont)...)
	}
	return strings.Join(out, "\n")
}

// tokenLines fills lines of w cells with the space-separated words of s; the first line is
// indented by first spaces, the others by cont (less for a word that needs the room).
func tokenLines(s string, w, first, cont int) []string {
	var lines []string
	cur, curW, open := strings.Repeat(" ", first), first, false
	flush := func() {
		if open {
			lines = append(lines, cur)
		}
		cur, curW, open = "", 0, false
	}
	for _, word := range strings.Split(s, " ") {
		ww := ansi.StringWidth(word)
		if open && curW+1+ww <= w {
			cur, curW = cur+" "+word, curW+1+ww
			continue
		}
		if !open && len(lines) == 0 && curW+ww <= w {
			cur, curW, open = cur+word, curW+ww, true
			continue
		}
		flush()
		if ww <= w {
			pad := min(cont, w-ww)
			cur, curW, open = strings.Repeat(" ", pad)+word, pad+ww, true
			continue
		}
		// Wider than the whole line: pieces at column 0, each ending at a separator if it can.
		for ansi.StringWidth(word) > w {
			n := tokenBreak(ansi.Strip(word), w)
			piece, rest := ansi.Truncate(word, n, ""), ansi.TruncateLeft(word, n, "")
			if ansi.StringWidth(rest) >= ansi.StringWidth(word) {
				break // no progress (a zero-width cluster): leave the rest on one line
			}
			lines = append(lines, piece)
			word = rest
		}
		cur, curW, open = word, ansi.StringWidth(word), true
	}
	flush()
	if len(lines) == 0 {
		lines = append(lines, "")
	}
	return lines
}

// tokenBreak is how many cells of plain (at least w cells wide) go on a line of w cells: up to
// and including the last separator that fits, preferring / : & = ? , ; over - . _, or w when
// neither falls in the second half of the line (a short first piece would waste the line).
func tokenBreak(plain string, w int) int {
	best, weak, cells := 0, 0, 0
	for _, r := range plain {
		rw := ansi.StringWidth(string(r))
		if cells+rw > w {
			break
		}
		cells += rw
		switch {
		case strings.ContainsRune("/:&=?,;", r):
			best = cells
		case strings.ContainsRune("-._", r):
			weak = cells
		}
	}
	switch {
	case best*2 >= w:
		return best
	case weak*2 >= w:
		return weak
	case cells > 0:
		return cells
	}
	for _, r := range plain {
		return max(1, ansi.StringWidth(string(r))) // wider than the line: a line of its own
	}
	return 1
}
