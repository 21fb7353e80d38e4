package ui

import (
	"encoding/base64"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/payterm/payterm/internal/safetext"
)

// The bank's address, outside the screens: whether another device can open it (the QR code),
// and the escape sequences that make it a link (OSC 8) and put it on the clipboard (OSC 52).

// qrElsewhere reports whether a device other than this computer can open address, so a QR code
// for a phone makes sense; when it cannot, why says so in one sentence, with what a phone needs.
// An address on this computer (loopback, localhost) never works elsewhere; a private or
// link-local address, or a bare local name, works only on the same network, which payterm
// cannot tell, so it offers no code for those either.
func qrElsewhere(address string) (ok bool, why string) {
	u, err := url.Parse(address)
	if err != nil || u.Host == "" {
		return false, ""
	}
	host := strings.ToLower(u.Hostname())
	shown := safetext.Short(host, 60)
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return false, "No QR code: the bank's page is on this computer (" + shown + "), which a phone cannot open. Open the address in a browser here."
	}
	if ip := net.ParseIP(host); ip != nil {
		switch {
		case ip.IsLoopback() || ip.IsUnspecified():
			return false, "No QR code: the bank's page is on this computer (" + shown + "), which a phone cannot open. Open the address in a browser here."
		case ip.IsPrivate() || ip.IsLinkLocalUnicast():
			return false, "No QR code: the bank's page is at a private network address (" + shown + "); a phone can open it only on the same network, by typing it. Open it in a browser here."
		}
		return true, ""
	}
	if !strings.Contains(host, ".") || strings.HasSuffix(host, ".local") || strings.HasSuffix(host, ".internal") {
		return false, "No QR code: the bank's page has a local network name (" + shown + ") that a phone may not know. Open it in a browser here."
	}
	return true, ""
}

// printableASCII reports whether s is a URL that can go inside an escape sequence as is: visible
// ASCII only (an address from the bank with a control character is shown cleaned, not linked).
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return s != ""
}

// addressLine is the address as one line for the normal screen: an OSC 8 hyperlink to itself
// when the terminal shows links, plain otherwise. Anything but visible ASCII is cleaned and never
// linked (it came from the bank's discovery document).
func addressLine(address string, link bool) string {
	if !printableASCII(address) {
		return safetext.Line(address)
	}
	if !link {
		return address
	}
	return "\x1b]8;;" + address + "\x1b\\" + address + "\x1b]8;;\x1b\\"
}

// copySequence is the OSC 52 sequence that asks the terminal to put address on the clipboard,
// or "" when the address is not plain visible ASCII. Sent only when the user presses c.
func copySequence(address string) string {
	if !printableASCII(address) {
		return ""
	}
	return "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(address)) + "\x07"
}

// Hyperlinks reports whether the terminal described by getenv shows OSC 8 hyperlinks. Terminals
// that do not know the sequence are meant to ignore it, but some print it, so only terminals
// known to support it get one; inside tmux or screen, which may not pass it on, none do.
func Hyperlinks(getenv func(string) string) bool {
	if getenv("TMUX") != "" || strings.HasPrefix(getenv("TERM"), "screen") {
		return false
	}
	switch getenv("TERM_PROGRAM") {
	case "iTerm.app", "WezTerm", "vscode", "ghostty", "Hyper", "Tabby", "rio":
		return true
	}
	if v, err := strconv.Atoi(getenv("VTE_VERSION")); err == nil && v >= 5000 {
		return true // GNOME Terminal, Tilix, … (VTE 0.50)
	}
	if v, err := strconv.Atoi(getenv("KONSOLE_VERSION")); err == nil && v >= 200400 {
		return true
	}
	if getenv("KITTY_WINDOW_ID") != "" || getenv("WT_SESSION") != "" {
		return true // kitty, Windows Terminal
	}
	switch t := getenv("TERM"); {
	case t == "xterm-kitty", t == "xterm-ghostty", strings.HasPrefix(t, "foot"), t == "alacritty", t == "wezterm":
		return true
	}
	return false
}
