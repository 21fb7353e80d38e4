package tmuxterm

import (
	"context"
	"strings"
)

// Type sends text literally (send-keys -l): every rune arrives as typed, none is read as a
// key name.
func (tm *Term) Type(text string) error {
	_, err := tm.Run(context.Background(), "send-keys", "-t", tm.name, "-l", text)
	return err
}

// Press sends tmux key names (Enter, Escape, Tab, BSpace, Up, PageDown, C-c, F1...) or single
// characters.
func (tm *Term) Press(keys ...string) error {
	_, err := tm.Run(context.Background(), append([]string{"send-keys", "-t", tm.name}, keys...)...)
	return err
}

// Screen is the visible pane as plain text (capture-pane -p), trailing blanks trimmed per line.
func (tm *Term) Screen() (string, error) {
	out, err := tm.Run(context.Background(), "capture-pane", "-p", "-t", tm.name)
	if err != nil {
		return "", err
	}
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n"), nil
}

// Transcript is the pane's scrollback and screen. After the program exits tmux scrolls its
// last screen up to print "Pane is dead", so what it showed last is here, not in Screen.
func (tm *Term) Transcript() (string, error) {
	out, err := tm.Run(context.Background(), "capture-pane", "-p", "-S", "-", "-t", tm.name)
	return strings.TrimRight(out, "\n"), err
}
