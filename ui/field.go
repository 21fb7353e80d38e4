package ui

import (
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/payterm/payterm/internal/safetext"
)

// field is a single-line text input. It is deliberately simpler than bubbles/textinput: no
// blinking cursor (golden frames stay stable) and it edits runes, so Arabic names and "€" are
// one character each. Masked fields render one bullet per rune.
type field struct {
	label   string
	value   []rune
	masked  bool
	limit   int               // max runes, 0 = 64
	accept  func(r rune) bool // nil = any printable rune
	hint    string            // shown muted when empty
	problem string            // validation feedback, set by the owner
	// full: the last keys or paste went past limit and what did not fit was not taken; the
	// field says so while it has the focus, rather than cutting the text without a word.
	full bool
}

func newField(label string) *field { return &field{label: label} }

func (f *field) Value() string { return string(f.value) }

func (f *field) SetValue(s string) { f.value = []rune(s) }

func (f *field) Reset() { f.value = f.value[:0]; f.problem = "" }

// Wipe clears the field and zeroes what it held, for secrets (PINs, codes, a bank's password):
// the runes do not linger in the backing array until it happens to be reused.
func (f *field) Wipe() {
	clear(f.value[:cap(f.value)])
	f.Reset()
}

// Update applies one key; it reports whether the value changed.
func (f *field) Update(msg tea.KeyMsg) bool {
	limit := f.max()
	f.full = false
	switch msg.Type {
	case tea.KeyBackspace:
		if len(f.value) > 0 {
			f.value = f.value[:len(f.value)-1]
			return true
		}
	case tea.KeyCtrlU:
		if len(f.value) > 0 {
			f.value = f.value[:0]
			return true
		}
	case tea.KeySpace:
		return f.insert([]rune{' '}, limit)
	case tea.KeyRunes:
		return f.insert(msg.Runes, limit)
	}
	return false
}

// max is the field's length limit in runes.
func (f *field) max() int {
	if f.limit == 0 {
		return 64
	}
	return f.limit
}

func (f *field) insert(rs []rune, limit int) bool {
	changed := false
	for _, r := range rs {
		if r < ' ' || r == 0x7f {
			continue
		}
		if len(f.value) >= limit {
			f.full = true
			continue
		}
		if f.accept != nil && !f.accept(r) {
			continue
		}
		f.value = append(f.value, r)
		changed = true
	}
	return changed
}

// View renders "label  value▏" with the cursor only on the focused field.
func (f *field) View(st Styles, focused bool, labelWidth int) string {
	label := f.label
	if pad := labelWidth - lipgloss.Width(label); pad > 0 {
		label += strings.Repeat(" ", pad)
	}
	var val string
	switch {
	case f.masked:
		val = strings.Repeat("•", len(f.value))
	default:
		// What was typed or pasted is kept as it is (the owner refuses it with a sentence), but
		// drawn cleaned: a pasted U+202E or C1 control shows as U+FFFD, it does not act.
		val = safetext.Line(string(f.value))
	}
	if len(f.value) == 0 && f.hint != "" && !focused {
		val = st.Muted.Render(f.hint)
	}
	cursor := ""
	if focused {
		cursor = "▏"
		if st.accessible {
			cursor = "_"
		}
	}
	prefix := "  "
	if focused {
		prefix = st.Accent.Render("› ")
		if st.accessible {
			prefix = "> "
		}
	}
	line := prefix + st.Muted.Render(label) + " " + val + cursor
	switch {
	case f.problem != "":
		line += "  " + st.Error.Render(f.problem)
	case f.full && focused:
		line += "  " + st.Warning.Render(fmt.Sprintf("at most %d characters: the rest was not taken", f.max()))
	}
	return line
}

func digitsOnly(r rune) bool { return r >= '0' && r <= '9' }

// typedTextProblem is the sentence for a name or reference the user typed that holds a control
// character or a bidi control (a pasted U+202E reverses what follows it: "Noor 521.00" would
// read "Noor 00.125" on every screen and export); "" when it is fine. what names the field as
// a sentence starts ("The payee name"). The field keeps what was typed; it draws the character
// as U+FFFD, so the user can see where it is.
func typedTextProblem(what, s string) string {
	if safetext.Check(s) == nil {
		return ""
	}
	for _, r := range s {
		if safetext.IsBidiControl(r) {
			return what + " contains a right-to-left override or another direction control (shown as \uFFFD), which changes how it reads: delete it (ctrl+u clears the field) and type it again."
		}
	}
	return what + " contains a control character (shown as \uFFFD): delete it (ctrl+u clears the field) and type it again."
}
