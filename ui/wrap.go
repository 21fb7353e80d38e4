package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// wrapLines soft-wraps every line wider than w at spaces (a word longer than the line is cut
// hard; ids are never split at their hyphens), keeping ANSI styling and repeating the line's
// indentation on its continuation lines. The router applies it to every screen, so no sentence
// is cut at the terminal edge.
func wrapLines(s string, w int) string { return wrapHanging(s, w, 0) }

// wrapHanging is wrapLines with continuation lines of an indented line indented hang cells
// more, so a wrapped "name: value" reads as one item.
func wrapHanging(s string, w, hang int) string {
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
			indent = 0 // a deep indent would leave too little room: start continuations at 0
		}
		cont := indent
		if indent > 0 && indent+hang < w/2 {
			cont = indent + hang
		}
		for i, p := range wordWrap(l[indent:], w-indent, w-cont) {
			pad := indent
			if i > 0 {
				pad = cont
			}
			out = append(out, strings.Repeat(" ", pad)+p)
		}
	}
	return strings.Join(out, "\n")
}

// wordWrap fills lines with the space-separated words of s: the first line holds at most first
// cells, the others at most rest. ANSI sequences hold no spaces, so they stay inside their word.
func wordWrap(s string, first, rest int) []string {
	var lines []string
	cur, curW, open := "", 0, false // open: the line has a word, maybe a zero-width one
	limit := func() int {
		if len(lines) == 0 {
			return max(1, first)
		}
		return max(1, rest)
	}
	for _, word := range strings.Split(s, " ") {
		ww := ansi.StringWidth(word)
		if open && curW+1+ww <= limit() {
			cur, curW = cur+" "+word, curW+1+ww
			continue
		}
		if open {
			lines = append(lines, cur)
		}
		// A word longer than the line is cut hard: the first piece to the first line's limit,
		// the rest in one linear pass.
		if ww > limit() && len(lines) == 0 {
			piece := ansi.Truncate(word, limit(), "")
			if pw := ansi.StringWidth(piece); pw > 0 {
				lines = append(lines, piece)
				word = ansi.TruncateLeft(word, pw, "")
				ww = ansi.StringWidth(word)
			}
		}
		if ww > limit() {
			pieces := strings.Split(ansi.Hardwrap(word, limit(), true), "\n")
			lines = append(lines, pieces[:len(pieces)-1]...)
			word = pieces[len(pieces)-1]
			ww = ansi.StringWidth(word)
		}
		cur, curW, open = word, ww, true
	}
	if open || len(lines) == 0 {
		lines = append(lines, cur)
	}
	return lines
}

func leadingSpaces(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

// hardWrap cuts s (one line, no styling) into pieces of exactly w cells, the last one shorter.
// Nothing is added or dropped, so the pieces joined give s back: right for URLs and keys that
// must be copied exactly.
func hardWrap(s string, w int) []string {
	if w <= 0 || s == "" {
		return []string{s}
	}
	return strings.Split(ansi.Hardwrap(s, w, true), "\n")
}

// wrapUnder wraps each "Label     value" line of block wider than w so its continuation lines
// start under the value (column col), not under the label.
func wrapUnder(block string, w, col int) string {
	if w <= 0 {
		return block
	}
	if col >= w/2 {
		col = 0
	}
	lines := strings.Split(block, "\n")
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if displayWidth(l) <= w {
			out = append(out, l)
			continue
		}
		for i, p := range wordWrap(l, w, w-col) {
			if i > 0 {
				p = strings.Repeat(" ", col) + p
			}
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n")
}
