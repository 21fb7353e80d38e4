package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

const (
	historyPage   = 100 // rows per wallet call
	historyWindow = 400 // rows kept in memory; older ones are dropped and re-fetched on demand
)

type historyMode int

const (
	histTable historyMode = iota
	histFilter
	histDetail
)

// historyScreen is a virtualised table over the ledger: it holds a bounded window of rows,
// renders only the visible ones and pages from the wallet with keyset queries, so a frame costs
// the same with 100 or 100,000 payments.
type historyScreen struct {
	c    *common
	w, h int
	mode historyMode

	filter HistoryFilter
	rows   []PaymentRow
	base   int // absolute index of rows[0] among the filtered rows
	total  int
	// totals add up the filtered rows per currency (HistoryPage.Totals), nil until counted.
	totals []CurrencyTotal
	cursor int // index into rows
	offset int // index into rows of the first visible line
	more   struct{ after, before bool }
	req    int
	busy   bool
	err    string

	fPayee, fFrom, fTo *field
	fStatus            Outcome
	fFocus             int
	fErr               string

	detail    *PaymentDetail
	detailErr string
	// X on a queued payment's detail asks first; the answer of the cancel call lands here.
	confirmCancel bool
	cancelErr     string
	// cancelReq and approveReq are the cancel call and the "approve at your bank now" lookup in
	// flight (0: none). Each has its own number: a reload (r, or a status change: after a
	// restart the bank is asked at once) takes a new s.req, and the payer's X or a must not be
	// dropped with the reload's predecessor.
	cancelReq  int
	approveReq int
	// stale: the core recorded a payment change while a load was in flight; reload once it lands
	// (a reload now would drop that load's answer).
	stale bool
}

type historyPageMsg struct {
	req  int
	kind pageKind
	page HistoryPage
	err  error
}

type pageKind int

const (
	pageFresh pageKind = iota
	pageAfter
	pageBefore
	pageOldest
)

type paymentDetailMsg struct {
	req int
	d   PaymentDetail
	err error
}

func newHistory(c *common) *historyScreen {
	s := &historyScreen{c: c, total: -1}
	s.fPayee = newField("Payee")
	s.fFrom = newField("From")
	s.fFrom.hint = "YYYY-MM-DD"
	s.fFrom.limit = 10
	s.fTo = newField("To")
	s.fTo.hint = "YYYY-MM-DD"
	s.fTo.limit = 10
	return s
}

func (s *historyScreen) Init() tea.Cmd { return s.fetch(pageFresh) }

func (s *historyScreen) fetch(kind pageKind) tea.Cmd {
	q := HistoryQuery{Filter: s.filter, Limit: historyPage}
	switch kind {
	case pageAfter:
		if len(s.rows) == 0 {
			return nil
		}
		q.After = s.rows[len(s.rows)-1].ID
	case pageBefore:
		if len(s.rows) == 0 {
			return nil
		}
		q.Before = s.rows[0].ID
	case pageOldest:
		q.Oldest = true
	}
	s.busy = true
	s.req = s.c.nextReq()
	req, ctx, w := s.req, s.c.ctx, s.c.w
	return func() tea.Msg {
		p, err := w.History(ctx, q)
		return historyPageMsg{req: req, kind: kind, page: p, err: err}
	}
}

func (s *historyScreen) SetSize(w, h int) { s.w, s.h = w, h; s.clamp() }
func (s *historyScreen) Title() string    { return "History" }
func (s *historyScreen) Typing() bool     { return s.mode == histFilter }
func (s *historyScreen) Busy() bool       { return false }

func (s *historyScreen) ShortHelp() []key.Binding {
	switch s.mode {
	case histFilter:
		return []key.Binding{keyNextFld, keyStatusCycle, keySubmit, keyBack}
	case histDetail:
		if s.confirmCancel {
			return []key.Binding{keyYes, keyNo}
		}
		if s.detail != nil && s.detail.Row.Status == PaymentAwaitingBankSCA {
			return []key.Binding{keyBack, keyRefresh, approveKey(s.detail), cancelKey(s.detail.Row.Status)}
		}
		if s.detail != nil && canCancel(s.detail.Row.Status, s.detail.Terms) {
			return []key.Binding{keyBack, keyRefresh, cancelKey(s.detail.Row.Status)}
		}
		return []key.Binding{keyBack, keyRefresh}
	default:
		return []key.Binding{keyUp, keyDown, keyEnter, keyFilter, keyRefresh, keyBack}
	}
}

var keyStatusCycle = key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "cycle status"))

func (s *historyScreen) FullHelp() [][]key.Binding {
	switch s.mode {
	case histFilter:
		return [][]key.Binding{{keyNextFld, keyPrevFld, keyStatusCycle, keyClear, keySubmit, keyBack}}
	case histDetail:
		return [][]key.Binding{append(s.ShortHelp(), keyInspector)}
	default:
		return [][]key.Binding{{keyUp, keyDown, keyPgUp, keyPgDown, keyTop, keyBottom, keyEnter, keyFilter, keyStatusF, keyRefresh, keyBack}}
	}
}

// visible is how many table rows fit (title line, column header, position line: more than one
// when the totals make it wrap on a narrow terminal).
func (s *historyScreen) visible() int {
	pos := 1
	if s.w > 0 {
		pos = strings.Count(wrapLines(s.positionLine(), s.w), "\n") + 1
	}
	return max(1, s.h-2-pos)
}

func (s *historyScreen) clamp() {
	if len(s.rows) == 0 {
		s.cursor, s.offset = 0, 0
		return
	}
	s.cursor = max(0, min(s.cursor, len(s.rows)-1))
	v := s.visible()
	if s.cursor < s.offset {
		s.offset = s.cursor
	}
	if s.cursor >= s.offset+v {
		s.offset = s.cursor - v + 1
	}
	s.offset = max(0, min(s.offset, max(0, len(s.rows)-v)))
}

func (s *historyScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case historyPageMsg:
		if msg.req != s.req {
			return s, nil
		}
		s.busy = false
		if msg.err != nil {
			s.err = explain(msg.err)
			return s, nil
		}
		s.err = ""
		s.apply(msg.kind, msg.page)
		return s, s.reloadIfStale()
	case historyRefreshMsg:
		if msg.req != s.req {
			return s, nil
		}
		s.busy = false
		if msg.err != nil {
			s.err = explain(msg.err)
			return s, nil
		}
		s.err = ""
		s.applyRefresh(msg)
		return s, s.reloadIfStale()
	case approvalConsentMsg:
		if msg.req != s.approveReq {
			return s, nil
		}
		s.approveReq = 0
		if msg.err != nil {
			s.cancelErr = explain(msg.err)
			return s, nil
		}
		return s, s.c.navigate(newPayAgain(s.c, msg.consent, msg.d))
	case paymentCancelledMsg:
		if msg.req != s.cancelReq {
			return s, nil
		}
		s.cancelReq = 0
		// The payer may have left the detail meanwhile: the answer is shown only on it.
		shown := s.mode == histDetail && s.detail != nil && s.detail.Row.ID == msg.id
		if msg.err != nil {
			if shown {
				s.cancelErr = explain(msg.err)
			}
			return s, s.reloadIfStale()
		}
		if shown {
			d := msg.d
			s.detail, s.cancelErr = &d, ""
		}
		return s, s.refresh() // the row's status changed too
	case paymentDetailMsg:
		if msg.req != s.req {
			return s, nil
		}
		if msg.err != nil {
			s.detailErr = explain(msg.err)
			return s, nil
		}
		d := msg.d
		s.detail = &d
		return s, s.reloadIfStale()
	case changedMsg:
		if !msg.Touches(PaymentChanged, "") {
			return s, nil
		}
		// A payment's status changed or a new one was recorded: the rows and the open detail are
		// read again around the selection, once nothing else is loading.
		if s.busy || s.cancelReq != 0 || (s.mode == histDetail && s.detail == nil && s.detailErr == "") {
			s.stale = true
			return s, nil
		}
		return s, s.refresh()
	case tea.KeyMsg:
		switch s.mode {
		case histFilter:
			return s, s.filterKey(msg)
		case histDetail:
			if s.confirmCancel {
				s.confirmCancel = false
				if key.Matches(msg, keyYes) && s.detail != nil {
					s.cancelReq = s.c.nextReq()
					req, ctx, w, id := s.cancelReq, s.c.ctx, s.c.w, s.detail.Row.ID
					return s, func() tea.Msg {
						d, err := w.CancelPayment(ctx, id)
						return paymentCancelledMsg{req: req, id: id, d: d, err: err}
					}
				}
				return s, nil
			}
			switch {
			case key.Matches(msg, keyBack):
				s.mode, s.detail, s.detailErr, s.cancelErr, s.approveReq = histTable, nil, "", "", 0
			case key.Matches(msg, keyRefresh):
				return s, s.refresh()
			case key.Matches(msg, keyApproveAgain) && s.detail != nil && s.detail.Row.Status == PaymentAwaitingBankSCA:
				return s, s.approveAgain(*s.detail)
			case key.Matches(msg, keyCancelPay) && s.detail != nil && canCancel(s.detail.Row.Status, s.detail.Terms):
				s.confirmCancel, s.cancelErr = true, ""
			}
			return s, nil
		default:
			return s, s.tableKey(msg)
		}
	}
	return s, nil
}

func (s *historyScreen) apply(kind pageKind, p HistoryPage) {
	if p.Total >= 0 {
		s.total, s.totals = p.Total, p.Totals
	}
	switch kind {
	case pageFresh:
		s.rows, s.base, s.cursor, s.offset = p.Rows, 0, 0, 0
		s.more.after, s.more.before = p.More, false
	case pageOldest:
		s.rows = p.Rows
		s.base = max(0, s.total-len(p.Rows))
		s.cursor = max(0, len(p.Rows)-1)
		s.more.after, s.more.before = false, s.base > 0 || s.total < 0
	case pageAfter:
		s.rows = append(s.rows, p.Rows...)
		s.more.after = p.More
		if drop := len(s.rows) - historyWindow; drop > 0 {
			s.rows = append([]PaymentRow(nil), s.rows[drop:]...)
			s.base += drop
			s.cursor -= drop
			s.offset -= drop
			s.more.before = true
		}
	case pageBefore:
		s.rows = append(append([]PaymentRow(nil), p.Rows...), s.rows...)
		s.base -= len(p.Rows)
		s.cursor += len(p.Rows)
		s.offset += len(p.Rows)
		s.more.before = p.More
		if s.base < 0 {
			s.base = 0
		}
		if drop := len(s.rows) - historyWindow; drop > 0 {
			s.rows = s.rows[:len(s.rows)-drop]
			s.more.after = true
		}
	}
	s.clamp()
}

func (s *historyScreen) tableKey(msg tea.KeyMsg) tea.Cmd {
	v := s.visible()
	switch {
	case key.Matches(msg, keyBack):
		return s.c.back()
	case key.Matches(msg, keyUp):
		s.cursor--
	case key.Matches(msg, keyDown):
		s.cursor++
	case key.Matches(msg, keyPgDown):
		s.cursor += v
	case key.Matches(msg, keyPgUp):
		s.cursor -= v
	case key.Matches(msg, keyTop):
		if s.more.before {
			return s.fetch(pageFresh)
		}
		s.cursor = 0
	case key.Matches(msg, keyBottom):
		if s.more.after {
			return s.fetch(pageOldest)
		}
		s.cursor = len(s.rows) - 1
	case key.Matches(msg, keyFilter):
		s.mode, s.fFocus, s.fErr = histFilter, 0, ""
		return nil
	case key.Matches(msg, keyRefresh):
		return s.refresh()
	case key.Matches(msg, keyStatusF):
		s.filter.Outcome = nextOutcome(s.filter.Outcome)
		s.fStatus = s.filter.Outcome
		return s.fetch(pageFresh)
	case key.Matches(msg, keyEnter):
		if len(s.rows) == 0 {
			return nil
		}
		s.mode = histDetail
		s.detail, s.detailErr = nil, ""
		s.req = s.c.nextReq()
		req, ctx, w, id := s.req, s.c.ctx, s.c.w, s.rows[s.cursor].ID
		return func() tea.Msg {
			d, err := w.Payment(ctx, id)
			return paymentDetailMsg{req: req, d: d, err: err}
		}
	default:
		return nil
	}
	wantAfter := s.cursor >= len(s.rows)-v
	wantBefore := s.cursor < v
	s.clamp()
	if s.busy {
		return nil
	}
	if wantAfter && s.more.after {
		return s.fetch(pageAfter)
	}
	if wantBefore && s.more.before {
		return s.fetch(pageBefore)
	}
	return nil
}

func (s *historyScreen) View() string {
	switch s.mode {
	case histFilter:
		return s.filterView()
	case histDetail:
		return s.detailView()
	}
	st := s.c.st
	var b strings.Builder
	b.WriteString(st.Muted.Render("Filter: "+s.filterSummary()) + "\n")
	end := min(len(s.rows), s.offset+s.visible())
	// On a narrow terminal the amount column is as wide as the widest amount shown; a row still
	// wider than the terminal (60 columns) is cut at the edge, never wrapped: a row is one line.
	// With payments at several banks, a bank column after the payee (the payee gives way).
	bankW := s.bankWidth()
	amtW := 17 // any amount up to 999,999,999.99 AED
	if s.w < 2+16+2+8+1+amtW+2+24+bankW+min(bankW, 1)+12 {
		amtW = len("Amount")
		for i := s.offset; i < end; i++ {
			amtW = max(amtW, displayWidth(formatMoney(s.rows[i].Amount, s.rows[i].Currency)))
		}
	}
	bankCol := func(name string) string {
		if bankW == 0 {
			return ""
		}
		return " " + fit(plainName(name), bankW)
	}
	nameW := max(8, min(40, s.w-2-16-2-1-amtW-2-24-bankW-min(bankW, 1)))
	b.WriteString(st.Muted.Render(truncate("  "+fit("Date", 16)+"  "+fit("Payee", nameW)+bankCol("Bank")+" "+fmt.Sprintf("%*s", amtW, "Amount")+"  Status", s.w)) + "\n")
	if len(s.rows) == 0 {
		switch {
		case s.busy:
			b.WriteString(st.Muted.Render("Loading…") + "\n")
		case s.err != "":
			b.WriteString(st.Error.Render(s.err) + "\n")
		default:
			b.WriteString(st.Muted.Render("No payments match.") + "\n")
		}
		return b.String()
	}
	for i := s.offset; i < end; i++ {
		r := s.rows[i]
		line := truncate(stamp(r.At, s.c.loc)+"  "+fit(r.PayeeName, nameW)+bankCol(r.Bank)+" "+fmt.Sprintf("%*s", amtW, formatMoney(r.Amount, r.Currency))+"  "+paymentWords(r.Status, r.BankStatus), s.w-2)
		// A visible marker as well as reverse video: the selection survives NO_COLOR and
		// screen readers.
		if i == s.cursor {
			line = "> " + line
			if !st.accessible {
				line = st.Selected.Render(line)
			}
		} else {
			line = "  " + line
		}
		b.WriteString(line + "\n")
	}
	b.WriteString(st.Muted.Render(s.positionLine()))
	return b.String()
}

// bankWidth is the bank column's width: 0 (no column) unless the rows held name more than one
// bank; then the longest name, at most 20 cells.
func (s *historyScreen) bankWidth() int {
	first, several, w := "", false, 0
	for _, r := range s.rows {
		name := plainName(r.Bank)
		if name == "" {
			continue
		}
		if first == "" {
			first = name
		}
		several = several || name != first
		w = max(w, displayWidth(name))
	}
	if !several {
		return 0
	}
	return max(4, min(20, w))
}

// positionLine is the line under the table: which row of how many, what the filtered rows add
// up to ("sum 4,321.00 AED (2,100.00 AED paid)", per currency), and whether more is loading.
func (s *historyScreen) positionLine() string {
	pos := fmt.Sprintf("%d", s.base+s.cursor+1)
	if s.total >= 0 {
		pos += fmt.Sprintf(" of %d", s.total)
	}
	if t := totalsText(s.totals); t != "" {
		pos += " · sum " + t
	}
	if s.busy {
		pos += " · loading more…"
	}
	if s.err != "" {
		pos += " · " + s.err
	}
	return pos
}

// totalsText says what the rows add up to, one sum per currency, and the part the bank
// accepted: "4,321.00 AED (2,100.00 AED paid)", "10.00 AED (all paid)", "5.25 AED (none paid)".
func totalsText(ts []CurrencyTotal) string {
	parts := make([]string, 0, len(ts))
	for _, t := range ts {
		sum := t.Sum.Display() + " " + t.Currency
		switch {
		case t.Paid.Cmp(t.Sum) == 0:
			sum += " (all paid)"
		case t.Paid.IsZero():
			sum += " (none paid)"
		default:
			sum += " (" + t.Paid.Display() + " " + t.Currency + " paid)"
		}
		parts = append(parts, sum)
	}
	return strings.Join(parts, " · ")
}
