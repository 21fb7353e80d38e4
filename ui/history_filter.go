package ui

// The history screen's filter: payee name, date range and outcome, typed in its own form.

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

func (s *historyScreen) filterKey(msg tea.KeyMsg) tea.Cmd {
	fields := []*field{s.fPayee, s.fFrom, s.fTo}
	switch {
	case msg.Type == tea.KeyEsc:
		s.mode = histTable
		return nil
	case msg.Type == tea.KeyTab || msg.Type == tea.KeyDown:
		s.fFocus = (s.fFocus + 1) % len(fields)
	case msg.Type == tea.KeyShiftTab || msg.Type == tea.KeyUp:
		s.fFocus = (s.fFocus + len(fields) - 1) % len(fields)
	case key.Matches(msg, keyStatusCycle):
		s.fStatus = nextOutcome(s.fStatus)
	case msg.Type == tea.KeyEnter:
		f := HistoryFilter{PayeeName: strings.TrimSpace(s.fPayee.Value()), Outcome: s.fStatus}
		var err error
		if f.From, err = parseDay(s.fFrom.Value(), s.c.loc); err != nil {
			s.fErr = "From: " + err.Error()
			return nil
		}
		if f.To, err = parseDay(s.fTo.Value(), s.c.loc); err != nil {
			s.fErr = "To: " + err.Error()
			return nil
		}
		if !f.To.IsZero() {
			f.To = f.To.AddDate(0, 0, 1) // inclusive day → exclusive bound (the next local midnight)
		}
		if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
			s.fErr = "From must be on or before To."
			return nil
		}
		s.filter, s.fErr, s.mode = f, "", histTable
		s.total, s.totals = -1, nil
		return s.fetch(pageFresh)
	default:
		fields[s.fFocus].Update(msg)
	}
	return nil
}

// parseDay accepts "" (no bound) or YYYY-MM-DD: the start of that day in the user's zone.
func parseDay(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("use YYYY-MM-DD")
	}
	return t, nil
}

// nextOutcome cycles all → successful → pending → failed → all.
func nextOutcome(o Outcome) Outcome {
	switch o {
	case OutcomeAny:
		return OutcomeSuccessful
	case OutcomeSuccessful:
		return OutcomePending
	case OutcomePending:
		return OutcomeFailed
	default:
		return OutcomeAny
	}
}

func statusFilterName(o Outcome) string {
	if o == OutcomeAny {
		return "all"
	}
	return string(o)
}

func (s *historyScreen) filterSummary() string {
	parts := []string{"status " + statusFilterName(s.filter.Outcome)}
	if s.filter.PayeeName != "" {
		parts = append(parts, "payee \""+s.filter.PayeeName+"\"")
	}
	if !s.filter.From.IsZero() {
		parts = append(parts, "from "+day(s.filter.From, s.c.loc))
	}
	if !s.filter.To.IsZero() {
		parts = append(parts, "to "+day(s.filter.To.Add(-time.Nanosecond), s.c.loc))
	}
	return strings.Join(parts, ", ")
}

func (s *historyScreen) filterView() string {
	st := s.c.st
	var b strings.Builder
	b.WriteString("Filter history\n\n")
	b.WriteString(s.fPayee.View(st, s.fFocus == 0, 7) + "\n")
	b.WriteString(s.fFrom.View(st, s.fFocus == 1, 7) + "\n")
	b.WriteString(s.fTo.View(st, s.fFocus == 2, 7) + "\n")
	b.WriteString("  " + st.Muted.Render("Status ") + " " + statusFilterName(s.fStatus) + st.Muted.Render("  (ctrl+s to change)") + "\n")
	if s.fErr != "" {
		b.WriteString("\n" + st.Error.Render(s.fErr) + "\n")
	}
	b.WriteString("\n" + st.Muted.Render("enter: apply · esc: cancel"))
	return b.String()
}
