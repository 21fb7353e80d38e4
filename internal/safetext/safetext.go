// Package safetext is the one boundary between text payterm did not write (bank answers, error
// strings of other libraries — Go's TLS errors quote certificate names —, ids, names, reasons,
// what the user typed) and anything that shows it: a screen, stdout, stderr, an export.
//
// What it removes is what can make a terminal or a spreadsheet do or show something other than
// the text: C0 and C1 control characters (ESC starts every escape sequence; U+009B is a one-byte
// CSI and U+009D a one-byte OSC on terminals that honour 8-bit controls), DEL, invalid UTF-8, and
// the Unicode bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), which reorder
// everything that follows them on the line, so that "Noor 521.00" can be drawn as "Noor 00.125".
// The bidi marks (U+200E, U+200F, U+061C) stay: they affect only their neighbours and real
// Arabic text uses them.
//
// Unsafe runes are not dropped silently: each becomes U+FFFD, so a tampered value looks tampered.
// Line and Error turn tab and newline into a space first, because an error sentence is one line.
package safetext

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Replacement is what an unsafe rune is drawn as.
const Replacement = '\uFFFD'

// IsBidiControl reports the bidi embeddings, overrides and isolates (not the marks).
func IsBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// IsUnsafe reports a rune that must never reach a terminal or an export as it is: C0 and C1
// controls, DEL and the bidi controls. (Invalid UTF-8 is unsafe too; Clean checks for it.)
func IsUnsafe(r rune) bool {
	return r < 0x20 || (r >= 0x7F && r <= 0x9F) || IsBidiControl(r)
}

// Clean reports whether s is valid UTF-8 with no unsafe rune. Text that passes needs no change.
func Clean(s string) bool {
	return cleanFor(s, true)
}

// Text replaces every unsafe rune of s with U+FFFD, keeping newlines and tabs (for text that is
// laid out over several lines by the caller; a carriage return becomes a space). Clean text is
// returned unchanged.
func Text(s string) string {
	return clean(s, false)
}

// Line is Text for one line: newline, carriage return and tab become a space.
func Line(s string) string {
	return clean(s, true)
}

// Short is Line cut to at most n runes, the last of them an ellipsis when it was cut.
func Short(s string, n int) string {
	s = Line(s)
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	var b strings.Builder
	i := 0
	for _, r := range s {
		if i == n-1 {
			break
		}
		b.WriteRune(r)
		i++
	}
	b.WriteRune('…')
	return b.String()
}

// Error is Line of err's message ("" for nil): the only way an error string of code we do not
// control may be shown.
func Error(err error) string {
	if err == nil {
		return ""
	}
	return Line(err.Error())
}

// ErrUnsafe is returned by Check.
var ErrUnsafe = errors.New("contains a control character or a right-to-left override")

// Check refuses text a user typed that holds an unsafe rune (tabs and newlines included), so
// that what is stored and sent is exactly what was shown.
func Check(s string) error {
	if !Clean(s) {
		return ErrUnsafe
	}
	return nil
}

func clean(s string, oneLine bool) string {
	if cleanFor(s, oneLine) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(Replacement)
		case r == '\r':
			b.WriteByte(' ') // a bare carriage return would let the rest overwrite the start
		case r == '\n' || r == '\t':
			if oneLine {
				b.WriteByte(' ')
			} else {
				b.WriteRune(r)
			}
		case IsUnsafe(r):
			b.WriteRune(Replacement)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func cleanFor(s string, oneLine bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if (r == '\n' || r == '\t') && !oneLine {
			continue
		}
		if IsUnsafe(r) {
			return false
		}
	}
	return true
}

// Writer passes Text of everything written through it to the writer it wraps: a command's own
// output (payterm reset, the exit message) cannot carry what a bank or a library wrote raw, whatever
// path the text took to get there. A rune split across two writes (bufio flushes anywhere) is held
// back until it is whole; Flush writes what is left.
type Writer struct {
	w       io.Writer
	pending []byte // the start of a rune that the next write completes
}

// NewWriter wraps w. Wrapping a *Writer again returns it unchanged.
func NewWriter(w io.Writer) *Writer {
	if sw, ok := w.(*Writer); ok {
		return sw
	}
	return &Writer{w: w}
}

// Write cleans p and writes it; it reports len(p) when the cleaned text was written.
func (s *Writer) Write(p []byte) (int, error) {
	buf := append(s.pending, p...)
	cut := len(buf) - incompleteTail(buf)
	s.pending = append([]byte(nil), buf[cut:]...)
	if cut == 0 {
		return len(p), nil
	}
	if _, err := io.WriteString(s.w, Text(string(buf[:cut]))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a rune left incomplete by the last write (as U+FFFD: nothing will complete it).
func (s *Writer) Flush() error {
	if len(s.pending) == 0 {
		return nil
	}
	rest := s.pending
	s.pending = nil
	_, err := io.WriteString(s.w, Text(string(rest)))
	return err
}

// incompleteTail is how many bytes at the end of b start a rune that is not complete yet: 0 when
// b ends on a whole rune or on bytes that no continuation can make valid.
func incompleteTail(b []byte) int {
	for n := 1; n < utf8.UTFMax && n <= len(b); n++ {
		c := b[len(b)-n]
		if utf8.RuneStart(c) {
			if c >= 0xC0 && !utf8.FullRune(b[len(b)-n:]) {
				return n
			}
			return 0
		}
	}
	return 0
}

// JSON makes encoded JSON safe to print on a terminal without changing what it decodes to:
// encoding/json escapes C0 controls but writes DEL, the C1 controls (U+009B is a one-byte CSI)
// and the bidi controls raw, so each of those becomes a \uXXXX escape. They can only occur inside
// JSON strings, where the escape stands for the same rune; an invalid UTF-8 byte becomes \ufffd.
func JSON(b []byte) []byte {
	if Clean(strings.NewReplacer("\n", "", "\t", "", "\r", "").Replace(string(b))) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, `\ufffd`...)
		case r >= 0x7F && IsUnsafe(r):
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}
