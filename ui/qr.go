package ui

import (
	"fmt"
	"strings"

	"github.com/mdp/qrterminal/v3"
	"rsc.io/qr"
)

// qrBlock renders text as a half-block QR code (two modules per character row), or "" in
// accessible mode where a screen reader cannot use it and the text is shown instead.
func qrBlock(st Styles, text string) string {
	if st.accessible || text == "" {
		return ""
	}
	// qrterminal ignores encoding errors and would dereference a nil code: check first.
	if _, err := qr.Encode(text, qr.L); err != nil {
		return ""
	}
	var b strings.Builder
	qrterminal.GenerateWithConfig(text, qrterminal.Config{
		Level:          qrterminal.L,
		Writer:         &b,
		HalfBlocks:     true,
		BlackChar:      qrterminal.BLACK_BLACK,
		WhiteBlackChar: qrterminal.WHITE_BLACK,
		WhiteChar:      qrterminal.WHITE_WHITE,
		BlackWhiteChar: qrterminal.BLACK_WHITE,
		QuietZone:      1,
	})
	return strings.TrimRight(b.String(), "\n")
}

// qrFit is a QR code placed on a screen, or the reason it is not there.
type qrFit struct {
	block string // the code, "" when it is not shown
	// code is the rendered code even when it does not fit stacked, and qw×qh its size, so a
	// caller can try another layout (beside the text).
	code   string
	qw, qh int
	// needW×needH is the terminal size that would show it; zero when there is no code at all
	// (accessible mode, or text a QR cannot carry).
	needW, needH int
	// note says why no code is drawn, when the screen should say it (the bank step: an address
	// no other device can open, or the size that would show it); "" otherwise.
	note string
}

// Shown reports whether the code is on screen.
func (q qrFit) Shown() bool { return q.block != "" }

// Missing reports whether a code exists but the terminal is too small for it.
func (q qrFit) Missing() bool { return q.block == "" && q.needW > 0 }

// hint is the plain sentence saying how to see a code that did not fit.
func (q qrFit) hint() string {
	return fmt.Sprintf("The QR code does not fit: enlarge the terminal to at least %d×%d to see it.", q.needW, q.needH)
}

// placeQR decides whether the QR of text fits beside `used` other lines (counted without the
// code or its hint) in a w×h area. The
// whole terminal is termW×termH (0 when unknown); the terminal size to ask for is derived from
// the rows and columns around the area, so the promise holds when the user enlarges it.
func placeQR(st Styles, text string, used, w, h, termW, termH int) qrFit {
	block := qrBlock(st, text)
	if block == "" {
		return qrFit{}
	}
	lines := strings.Split(block, "\n")
	qw, qh := displayWidth(lines[0]), len(lines)
	need := used + 1 + qh // the code's rows and a blank line above it
	if qw <= w && need <= h {
		return qrFit{block: block, code: block, qw: qw, qh: qh}
	}
	return qrFit{code: block, qw: qw, qh: qh, needW: max(termW-w, 0) + max(w, qw), needH: max(termH-h, 0) + max(h, need)}
}
