package ui

import (
	"github.com/charmbracelet/lipgloss"
)

// Theme is the semantic palette. Screens ask for meanings (Error, Muted), never for colours.
type Theme struct {
	Text    lipgloss.AdaptiveColor
	Muted   lipgloss.AdaptiveColor
	Accent  lipgloss.AdaptiveColor
	Success lipgloss.AdaptiveColor
	Warning lipgloss.AdaptiveColor
	Error   lipgloss.AdaptiveColor
	Border  lipgloss.AdaptiveColor
}

// DefaultTheme is readable on light and dark backgrounds.
func DefaultTheme() Theme {
	return Theme{
		Text:    lipgloss.AdaptiveColor{Light: "#1a1a1a", Dark: "#e8e8e8"},
		Muted:   lipgloss.AdaptiveColor{Light: "#6b6b6b", Dark: "#8c8c8c"},
		Accent:  lipgloss.AdaptiveColor{Light: "#005f87", Dark: "#5fafd7"},
		Success: lipgloss.AdaptiveColor{Light: "#00701a", Dark: "#5fd75f"},
		Warning: lipgloss.AdaptiveColor{Light: "#8a5a00", Dark: "#ffaf00"},
		Error:   lipgloss.AdaptiveColor{Light: "#b00020", Dark: "#ff5f5f"},
		Border:  lipgloss.AdaptiveColor{Light: "#9e9e9e", Dark: "#5f5f5f"},
	}
}

// Styles is built once from a Theme and a renderer and shared by every screen.
type Styles struct {
	accessible bool

	Title    lipgloss.Style
	Text     lipgloss.Style
	Muted    lipgloss.Style
	Accent   lipgloss.Style
	Success  lipgloss.Style
	Warning  lipgloss.Style
	Error    lipgloss.Style
	Selected lipgloss.Style
	Card     lipgloss.Style
	Key      lipgloss.Style
	Big      lipgloss.Style
	Footer   lipgloss.Style
}

func newStyles(r *lipgloss.Renderer, t Theme, accessible bool) Styles {
	s := Styles{accessible: accessible}
	s.Title = r.NewStyle().Bold(true).Foreground(t.Accent)
	s.Text = r.NewStyle().Foreground(t.Text)
	s.Muted = r.NewStyle().Foreground(t.Muted)
	s.Accent = r.NewStyle().Foreground(t.Accent)
	s.Success = r.NewStyle().Foreground(t.Success)
	s.Warning = r.NewStyle().Foreground(t.Warning)
	s.Error = r.NewStyle().Foreground(t.Error).Bold(true)
	s.Selected = r.NewStyle().Reverse(true)
	s.Key = r.NewStyle().Foreground(t.Accent).Bold(true)
	s.Big = r.NewStyle().Bold(true).Foreground(t.Text)
	s.Footer = r.NewStyle().Foreground(t.Muted)
	if accessible {
		// No box drawing: a screen reader reads border glyphs aloud.
		s.Card = r.NewStyle().PaddingLeft(2)
	} else {
		s.Card = r.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(t.Border).Padding(0, 1)
	}
	return s
}

// mark returns a pass/fail glyph, or a word in accessible mode.
func (s Styles) mark(ok bool) string {
	if s.accessible {
		if ok {
			return "[pass]"
		}
		return "[fail]"
	}
	if ok {
		return s.Success.Render("✓")
	}
	return s.Error.Render("✗")
}

// rule is a horizontal separator (dashes in accessible mode).
func (s Styles) rule(w int) string {
	if w <= 0 {
		return ""
	}
	if s.accessible {
		return ""
	}
	return s.Muted.Render(repeat("─", w))
}

func repeat(s string, n int) string {
	if n <= 0 {
		return ""
	}
	out := make([]byte, 0, len(s)*n)
	for range n {
		out = append(out, s...)
	}
	return string(out)
}
