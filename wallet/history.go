package wallet

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/payterm/payterm/money"
)

// PaymentRow is one line of history: a payment without its signed request bytes.
type PaymentRow struct {
	ID            int64
	BankPaymentID string
	ConsentID     string
	PayeeID       int64
	PayeeName     string // PII
	PayeeIBAN     string // PII
	Amount        money.Amount
	Currency      string
	Purpose       string
	Reference     string
	Status        PaymentStatus
	BankStatus    string // the bank's own word for Status
	RejectCode    string
	RejectMessage string
	Created       time.Time
	Updated       time.Time
}

// HistoryFilter narrows a history query; zero values mean "any".
type HistoryFilter struct {
	ConsentID string
	PayeeID   int64
	PayeeName string // case-insensitive (ASCII) substring of the payee name
	Outcome   Outcome
	From      time.Time // inclusive
	To        time.Time // exclusive
}

// HistoryQuery is keyset pagination over ledger ids, newest first: rows strictly older than
// After, or strictly newer than Before; neither = the newest page. Keyset (not OFFSET) keeps a
// page's cost independent of how deep into the history it is.
type HistoryQuery struct {
	Filter HistoryFilter
	After  int64
	Before int64
	Limit  int // 1..500, default 50
}

// HistoryPage is one page, newest first.
type HistoryPage struct {
	Rows []PaymentRow
	More bool // rows exist beyond this page in the requested direction
}

const maxPageSize = 500

// History returns one page of payments.
func (l *Ledger) History(ctx context.Context, q HistoryQuery) (HistoryPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	if limit > maxPageSize {
		limit = maxPageSize
	}
	if q.After != 0 && q.Before != 0 {
		return HistoryPage{}, fmt.Errorf("history: give After or Before, not both")
	}
	scan := false
	if q.Filter.PayeeName != "" {
		matched, total, err := l.nameShare(ctx, q.Filter)
		if err != nil {
			return HistoryPage{}, fmt.Errorf("history: %w", err)
		}
		// Walking newest first reads about limit*total/matched rows to fill a page; gathering
		// the matches reads (and sorts) all of them. Take the cheaper.
		scan = matched > 0 && matched*matched > int64(limit+1)*total
	}
	where, args := historyWhereScan(q.Filter, scan)
	order := "DESC"
	if q.After != 0 {
		where = append(where, "id < ?")
		args = append(args, q.After)
	}
	if q.Before != 0 {
		where = append(where, "id > ?")
		args = append(args, q.Before)
		order = "ASC"
	}
	query := `SELECT id, COALESCE(bank_payment_id, ''), consent_id, COALESCE(payee_id, 0), payee_name, payee_iban,
		amount_minor, currency, purpose_code, reference, status, bank_status, reject_code, reject_message, created_ms, updated_ms
		FROM payments`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY id " + order + " LIMIT ?"
	args = append(args, limit+1)
	rows, err := l.db.QueryContext(ctx, query, args...)
	if err != nil {
		return HistoryPage{}, fmt.Errorf("history: %w", err)
	}
	defer rows.Close()
	var page HistoryPage
	for rows.Next() {
		var r PaymentRow
		var minor, cMS, uMS int64
		if err := rows.Scan(&r.ID, &r.BankPaymentID, &r.ConsentID, &r.PayeeID, &r.PayeeName, &r.PayeeIBAN, &minor,
			&r.Currency, &r.Purpose, &r.Reference, &r.Status, &r.BankStatus, &r.RejectCode, &r.RejectMessage, &cMS, &uMS); err != nil {
			return HistoryPage{}, fmt.Errorf("history: %w", err)
		}
		if r.Amount, err = money.FromMinor(minor); err != nil {
			return HistoryPage{}, fmt.Errorf("history: payment %d: %w", r.ID, err)
		}
		r.Created, r.Updated = fromMS(cMS), fromMS(uMS)
		page.Rows = append(page.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return HistoryPage{}, fmt.Errorf("history: %w", err)
	}
	if len(page.Rows) > limit {
		page.More = true
		page.Rows = page.Rows[:limit]
	}
	if order == "ASC" {
		for i, j := 0, len(page.Rows)-1; i < j; i, j = i+1, j-1 {
			page.Rows[i], page.Rows[j] = page.Rows[j], page.Rows[i]
		}
	}
	return page, nil
}

func historyWhere(f HistoryFilter) ([]string, []any) {
	return historyWhereScan(f, false)
}

// historyWhereScan is historyWhere; scan (for a name that matches a large part of the ledger)
// keeps the name test off payments_by_payee_name, so a page walks the ledger newest first and
// stops at its last row instead of gathering and sorting every match.
func historyWhereScan(f HistoryFilter, scan bool) ([]string, []any) {
	var where []string
	var args []any
	if f.ConsentID != "" {
		where, args = append(where, "consent_id = ?"), append(args, f.ConsentID)
	}
	if f.PayeeID != 0 {
		where, args = append(where, "payee_id = ?"), append(args, f.PayeeID)
	}
	if f.PayeeName != "" {
		// The names that match, then their payments (payments_by_payee_name).
		cond, cargs := nameCond(f.PayeeName)
		col := "payee_name"
		if scan {
			col = "+payee_name" // a unary plus: the same value, but no index on it is used
		}
		where, args = append(where, col+" IN (SELECT name FROM payee_names WHERE "+cond+")"), append(args, cargs...)
	}
	if f.Outcome != "" {
		where, args = append(where, "outcome = ?"), append(args, string(f.Outcome))
	}
	if !f.From.IsZero() {
		where, args = append(where, "created_ms >= ?"), append(args, toMS(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "created_ms < ?"), append(args, toMS(f.To))
	}
	return where, args
}

// nameMatch turns a payee-name search into an FTS5 query for the trigram index of payee
// names (payee_names_fts), or reports that the index cannot answer it.
//
// The index only narrows: its case folding is Unicode's, a superset of the ASCII folding of
// LIKE, so every name LIKE matches is among the names it returns, and the LIKE that always
// follows keeps the semantics users had before the index (substring, case-insensitive for
// ASCII only, wildcards literal). The query is one FTS5 string with every double quote
// doubled, so nothing typed is read as FTS syntax (AND, OR, NOT, NEAR, *, ^, column filters).
//
// Fallback: a trigram index has nothing to match for a query of fewer than three characters,
// and a NUL or invalid UTF-8 would be read differently by the FTS5 tokenizer than by LIKE; such
// queries go to the LIKE alone over the distinct names (payee_names), which is a scan of
// names, not of payments: thousands of rows at most, however long the history.
// nameCond is the condition on payee_names that picks the names a search matches: the trigram
// index narrows when it can (nameMatch), and the LIKE decides exactly as it decided on each
// payment before.
func nameCond(q string) (string, []any) {
	like := "%" + escapeLike(q) + "%"
	if m, ok := nameMatch(q); ok {
		return `id IN (SELECT rowid FROM payee_names_fts WHERE payee_names_fts MATCH ?) AND name LIKE ? ESCAPE '\'`, []any{m, like}
	}
	return `name LIKE ? ESCAPE '\'`, []any{like}
}

func nameMatch(q string) (string, bool) {
	if !utf8.ValidString(q) || strings.IndexByte(q, 0) >= 0 || utf8.RuneCountInString(q) < 3 {
		return "", false
	}
	return `"` + strings.ReplaceAll(q, `"`, `""`) + `"`, true
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// totalsQuery is the query of HistoryTotals (currency, count, sum, paid; one row per currency
// with at least one payment), unordered. A filter by payee name and outcome only — the History
// screen's search, and no filter at all — adds up payee_name_totals, a few rows per name
// however many payments they have; any other filter reads the matching payments.
func totalsQuery(f HistoryFilter) (string, []any) {
	args := []any{string(OutcomeSuccessful)}
	if f.ConsentID == "" && f.PayeeID == 0 && f.From.IsZero() && f.To.IsZero() {
		query := "SELECT currency, SUM(n) AS n, SUM(sum_minor), SUM(CASE WHEN outcome = ? THEN sum_minor ELSE 0 END) FROM payee_name_totals"
		var where []string
		if f.PayeeName != "" {
			cond, cargs := nameCond(f.PayeeName)
			where, args = append(where, "name_id IN (SELECT id FROM payee_names WHERE "+cond+")"), append(args, cargs...)
		}
		if f.Outcome != "" {
			where, args = append(where, "outcome = ?"), append(args, string(f.Outcome))
		}
		if len(where) > 0 {
			query += " WHERE " + strings.Join(where, " AND ")
		}
		return query + " GROUP BY currency HAVING SUM(n) > 0", args
	}
	where, wargs := historyWhere(f)
	query := "SELECT currency, COUNT(*) AS n, COALESCE(SUM(amount_minor), 0), " +
		"COALESCE(SUM(CASE WHEN outcome = ? THEN amount_minor ELSE 0 END), 0) FROM payments"
	args = append(args, wargs...)
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	return query + " GROUP BY currency", args
}

// nameShare is how many payments a name search (with its outcome) matches and how many the
// ledger holds, from payee_name_totals: what History needs to choose how to read a page.
func (l *Ledger) nameShare(ctx context.Context, f HistoryFilter) (matched, total int64, err error) {
	cond, args := nameCond(f.PayeeName)
	query := `SELECT COALESCE(SUM(CASE WHEN name_id IN (SELECT id FROM payee_names WHERE ` + cond + `)`
	if f.Outcome != "" {
		query += " AND outcome = ?"
		args = append(args, string(f.Outcome))
	}
	query += " THEN n ELSE 0 END), 0), COALESCE(SUM(n), 0) FROM payee_name_totals"
	err = l.db.QueryRowContext(ctx, query, args...).Scan(&matched, &total)
	return matched, total, err
}

// CurrencyTotal is what the payments matching a filter add up to in one currency: how many,
// their sum, and the part of it the bank accepted (outcome successful). Sums never add two
// currencies.
type CurrencyTotal struct {
	Currency string
	Count    int
	Sum      money.Amount
	Paid     money.Amount
}

// HistoryTotals adds up the payments matching a filter, one total per currency (sorted by
// currency code); see totalsQuery for what it reads.
func (l *Ledger) HistoryTotals(ctx context.Context, f HistoryFilter) ([]CurrencyTotal, error) {
	query, args := totalsQuery(f)
	query += " ORDER BY currency"
	rows, err := l.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("history totals: %w", err)
	}
	defer rows.Close()
	var out []CurrencyTotal
	for rows.Next() {
		var t CurrencyTotal
		var sum, paid int64
		if err := rows.Scan(&t.Currency, &t.Count, &sum, &paid); err != nil {
			return nil, fmt.Errorf("history totals: %w", err)
		}
		if t.Sum, err = money.FromMinor(sum); err != nil {
			return nil, fmt.Errorf("history totals: %s: %w", t.Currency, err)
		}
		if t.Paid, err = money.FromMinor(paid); err != nil {
			return nil, fmt.Errorf("history totals: %s: %w", t.Currency, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history totals: %w", err)
	}
	return out, nil
}

// CountPayments counts the payments matching a filter (as HistoryTotals reads them: for a
// "N payments" label, not for every page).
func (l *Ledger) CountPayments(ctx context.Context, f HistoryFilter) (int, error) {
	q, args := totalsQuery(f)
	query := "SELECT COALESCE(SUM(n), 0) FROM (" + q + ")"
	var n int
	if err := l.db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count payments: %w", err)
	}
	return n, nil
}
