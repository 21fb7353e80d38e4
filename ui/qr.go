package ui

import (
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
