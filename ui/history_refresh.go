package ui

// Reloading the history screen around the selected payment while statuses change.

import (
	tea "github.com/charmbracelet/bubbletea"
)

// historyRefreshMsg is a reload around the selected payment: the rows newer than it (newest
// first) and the rows from it on, so the selection stays on the same payment.
type historyRefreshMsg struct {
	req       int
	anchor    string // ID of the selected payment when the refresh started
	screenRow int    // its line on screen
	absolute  int    // its index among the filtered rows, before the refresh
	newer     HistoryPage
	rest      HistoryPage
	total     int
	totals    []CurrencyTotal
	err       error
}

// refresh reloads the rows around the selected payment (r, and the router when the screen is
// uncovered, e.g. back from the inspector), and the open detail: statuses change while the
// bank settles and new payments arrive at the top. The selection stays on the same payment
// when it is still listed, on the row that took its place otherwise.
func (s *historyScreen) refresh() tea.Cmd {
	if len(s.rows) == 0 {
		return s.fetch(pageFresh)
	}
	s.cursor = max(0, min(s.cursor, len(s.rows)-1))
	m := historyRefreshMsg{anchor: s.rows[s.cursor].ID, screenRow: s.cursor - s.offset, absolute: s.base + s.cursor}
	s.busy = true
	s.req = s.c.nextReq()
	m.req = s.req
	ctx, w, f := s.c.ctx, s.c.w, s.filter
	load := func() tea.Msg {
		r := m
		if r.newer, r.err = w.History(ctx, HistoryQuery{Filter: f, Before: r.anchor, Limit: historyPage}); r.err != nil {
			return r
		}
		r.total, r.totals = r.newer.Total, r.newer.Totals
		if len(r.newer.Rows) == 0 {
			// Nothing newer: the newest page starts at the selection (and counts the rows).
			r.rest, r.err = w.History(ctx, HistoryQuery{Filter: f, Limit: historyPage})
			r.total, r.totals = r.rest.Total, r.rest.Totals
			return r
		}
		// From the row just newer than the selection on: the selection comes first if it is
		// still listed. Keyset ids only grow, so no new payment falls in between.
		r.rest, r.err = w.History(ctx, HistoryQuery{Filter: f, After: r.newer.Rows[len(r.newer.Rows)-1].ID, Limit: historyPage})
		if r.err == nil && r.total < 0 {
			var head HistoryPage
			head, r.err = w.History(ctx, HistoryQuery{Filter: f, Limit: 1})
			r.total, r.totals = head.Total, head.Totals
		}
		return r
	}
	if s.mode != histDetail || s.detail == nil {
		return load
	}
	req, id := s.req, s.detail.Row.ID
	return tea.Batch(load, func() tea.Msg {
		d, err := w.Payment(ctx, id)
		return paymentDetailMsg{req: req, d: d, err: err}
	})
}

// reloadIfStale reloads once after a load that a change arrived during.
func (s *historyScreen) reloadIfStale() tea.Cmd {
	if !s.stale || s.busy || s.cancelReq != 0 {
		return nil
	}
	s.stale = false
	return s.refresh()
}

func (s *historyScreen) applyRefresh(m historyRefreshMsg) {
	n := len(m.newer.Rows)
	rows := append(append([]PaymentRow(nil), m.newer.Rows...), m.rest.Rows...)
	if len(rows) > historyWindow {
		rows = rows[:historyWindow]
		m.rest.More = true
	}
	s.rows = rows
	s.more.after = m.rest.More
	s.more.before = n > 0 && m.newer.More
	s.base = 0
	if s.more.before {
		// Rows newer than these exist but were not counted: keep the old position as the best
		// estimate of where the window starts.
		s.base = max(0, m.absolute-n)
	}
	if m.total >= 0 {
		s.total, s.totals = m.total, m.totals
	}
	s.cursor = min(n, len(rows)-1)
	for i, r := range rows {
		if r.ID == m.anchor {
			s.cursor = i
			break
		}
	}
	s.offset = s.cursor - m.screenRow
	s.clamp()
}
