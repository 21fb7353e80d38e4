package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// The numbered pick lists ("Which bank?", "Pay from which consent?") share their cursor keys
// and how they scroll.

// movePick applies ↑/↓ (wrapping) or a digit of jump to a cursor over n rows; moved is false
// for any other key.
func movePick(msg tea.KeyMsg, jump key.Binding, pick, n int) (next int, moved bool) {
	switch {
	case n == 0:
		return pick, false
	case key.Matches(msg, keyUp):
		return (pick + n - 1) % n, true
	case key.Matches(msg, keyDown):
		return (pick + 1) % n, true
	case key.Matches(msg, jump):
		if i := int(msg.String()[0] - '1'); i < n {
			return i, true
		}
		return pick, true
	}
	return pick, false
}

// scrollWindow says which of n rows (each per lines tall) show in avail free lines: all of
// them when they fit; otherwise as many as fit beside the "above" and "more" notes, with the
// cursor row near the middle.
func scrollWindow(n, pick, avail, per int) (first, rows int) {
	if rows = max(1, min(n, avail/per)); rows >= n {
		return 0, n
	}
	rows = max(1, (avail-2)/per)
	return max(0, min(pick-rows/2, n-rows)), rows
}
