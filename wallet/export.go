package wallet

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/money"
)

// ExportOptions tune ExportHistory.
type ExportOptions struct {
	Filter HistoryFilter
	// IncludePII adds the payee name, IBAN and the free-text reference. Off by default: an
	// export is often handed to other tools.
	IncludePII bool
	// Providers maps a bank id to the payment standard it speaks (config provider: "uae",
	// "berlin-group", "fintecture", …), for each row's provider; a bank missing from it (one
	// that left the config) gets "".
	Providers map[string]string
}

// ExportRow is one payment in `payterm history` and in the status report's recent payments. Field names are a stable interface for
// scripts: add fields, never rename or remove them. No secret is ever included (no signed
// request, no SCA proof, no idempotency key); PII fields are present only on request.
type ExportRow struct {
	ID            int64   `json:"id"`
	CreatedAt     string  `json:"created_at"`
	UpdatedAt     string  `json:"updated_at"`
	ConsentID     string  `json:"consent_id"`
	BankPaymentID string  `json:"bank_payment_id"`
	Amount        string  `json:"amount"`
	Currency      string  `json:"currency"`
	Purpose       string  `json:"purpose_code"`
	Status        string  `json:"status"`
	Outcome       string  `json:"outcome"`
	RejectCode    string  `json:"reject_code"`
	PayeeName     *string `json:"payee_name,omitempty"`
	PayeeIBAN     *string `json:"payee_iban,omitempty"`
	Reference     *string `json:"reference,omitempty"`
	// Bank is the id of the bank the payment went to (its consent's; config [bank]/[[banks]]).
	Bank string `json:"bank"`
	// NormalisedStatus is the status every standard maps to (Processing, Executed, Settled,
	// …); Status stays what it always was: the bank's own word once the bank has the payment,
	// else the wallet's local state.
	NormalisedStatus string `json:"normalised_status"`
	// Provider is the payment standard of Bank as configured ("uae", "berlin-group",
	// "fintecture", …); "" when the bank is no longer in the config.
	Provider string `json:"provider"`
}

var csvHeader = []string{"id", "created_at", "updated_at", "consent_id", "bank_payment_id", "amount", "currency",
	"purpose_code", "status", "outcome", "reject_code", "payee_name", "payee_iban", "reference", "bank", "normalised_status",
	"provider"}

// consentBanks maps each consent id to its bank id, for the export rows (a handful of consents).
func (l *Ledger) consentBanks(ctx context.Context) (map[string]string, error) {
	cs, err := l.Consents(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(cs))
	for _, c := range cs {
		m[c.ID] = c.Bank
	}
	return m, nil
}

func toExportRow(r PaymentRow, pii bool, banks, providers map[string]string) ExportRow {
	bank := banks[r.ConsentID]
	e := ExportRow{ID: r.ID, Bank: bank, Provider: providers[bank], CreatedAt: r.Created.UTC().Format(time.RFC3339), UpdatedAt: r.Updated.UTC().Format(time.RFC3339),
		ConsentID: r.ConsentID, BankPaymentID: r.BankPaymentID, Amount: r.Amount.String(), Currency: r.Currency,
		Purpose: r.Purpose, Status: string(r.Status), Outcome: string(r.Status.Outcome()), RejectCode: r.RejectCode,
		NormalisedStatus: string(r.Status)}
	if r.BankStatus != "" {
		e.Status = r.BankStatus
	}
	if pii {
		name, iban, ref := r.PayeeName, r.PayeeIBAN, r.Reference
		e.PayeeName, e.PayeeIBAN, e.Reference = &name, &iban, &ref
	}
	return e
}

// ExportHistory writes the payments matching opts, newest first, as "csv" (a header line and
// one row per payment; PII columns are empty unless requested) or "json" (an array of
// objects; PII keys are absent unless requested). It pages through the ledger, so memory use
// does not grow with the history.
func (l *Ledger) ExportHistory(ctx context.Context, out io.Writer, format string, opts ExportOptions) error {
	var write func(ExportRow) error
	var finish func() error
	switch format {
	case "csv":
		cw := csv.NewWriter(out)
		if err := cw.Write(csvHeader); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		write = func(e ExportRow) error {
			deref := func(p *string) string {
				if p == nil {
					return ""
				}
				return *p
			}
			return cw.Write([]string{strconv.FormatInt(e.ID, 10), e.CreatedAt, e.UpdatedAt, csvCell(e.ConsentID),
				csvCell(e.BankPaymentID), e.Amount, csvCell(e.Currency), csvCell(e.Purpose), csvCell(e.Status), e.Outcome,
				csvCell(e.RejectCode), csvCell(deref(e.PayeeName)), csvCell(deref(e.PayeeIBAN)), csvCell(deref(e.Reference)),
				csvCell(e.Bank), csvCell(e.NormalisedStatus), csvCell(e.Provider)})
		}
		finish = func() error { cw.Flush(); return cw.Error() }
	case "json":
		if _, err := io.WriteString(out, "["); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		first := true
		write = func(e ExportRow) error {
			b, err := json.Marshal(e)
			if err != nil {
				return err
			}
			b = safetext.JSON(b) // the bytes a terminal would misread are \u-escaped, the values unchanged
			sep := ",\n"
			if first {
				sep, first = "\n", false
			}
			_, err = io.WriteString(out, sep+string(b))
			return err
		}
		finish = func() error {
			_, err := io.WriteString(out, "\n]\n")
			return err
		}
	default:
		return fmt.Errorf("export: unknown format %q (use csv or json)", format)
	}
	banks, err := l.consentBanks(ctx)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	q := HistoryQuery{Filter: opts.Filter, Limit: maxPageSize}
	for {
		page, err := l.History(ctx, q)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		for _, r := range page.Rows {
			if err := write(toExportRow(r, opts.IncludePII, banks, opts.Providers)); err != nil {
				return fmt.Errorf("export: %w", err)
			}
		}
		if !page.More {
			break
		}
		q.After = page.Rows[len(page.Rows)-1].ID
	}
	if err := finish(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// csvCell makes one cell of text payterm did not write (ids and codes from a bank, names and
// references a user typed, perhaps years ago in an older payterm) safe for a terminal and a
// spreadsheet. First every control character and bidi override becomes U+FFFD (safetext.Line: a
// CSV file is printed with cat as often as it is opened), then a cell whose first visible
// character starts a formula (= + - @, | for DDE, and their full-width forms, which some
// spreadsheets also accept) gets a ' in front. Leading spaces are looked through, since
// spreadsheets that trim a cell would otherwise still run " =cmd".
func csvCell(s string) string {
	s = safetext.Line(s)
	r, _ := utf8.DecodeRuneInString(strings.TrimLeftFunc(s, unicode.IsSpace))
	if strings.ContainsRune("=+-@|\uFF1D\uFF0B\uFF0D\uFF20", r) {
		return "'" + s
	}
	return s
}

// StatusReport is `payterm status --json`: consents, limits and usage. Stable field names;
// no secrets; PII (creditor names, debtor account) only on request.
type StatusReport struct {
	SchemaVersion int             `json:"schema_version"`
	GeneratedAt   string          `json:"generated_at"`
	Consents      []ConsentReport `json:"consents"`
	Limits        LimitsReport    `json:"limits"`
	Used          UsageReport     `json:"used_today_and_month"`
	OpenPayments  int             `json:"open_payments"`
	// Onboarded is false until the first consent was authorised, and again after payterm reset
	// until a new one is.
	Onboarded bool `json:"onboarded"`
	// RecentPayments are the newest payments (at most 10), PII only on request.
	RecentPayments []ExportRow `json:"recent_payments"`
	// Banks are the configured banks side by side: the standard each speaks and its currency.
	Banks []BankReport `json:"banks"`
}

// BankReport is one configured bank in the status report. No PII (no account, no holder).
type BankReport struct {
	ID       string `json:"id"`
	Provider string `json:"provider"`          // "uae", "berlin-group", "fintecture", …
	Profile  string `json:"profile,omitempty"` // the standard's profile ("sb1", "bog"), "" when none
	Currency string `json:"currency"`          // ISO 4217: what the bank's payments are in
}

// ConsentReport is one consent in the status report.
type ConsentReport struct {
	ID               string `json:"id"`
	Bank             string `json:"bank"`
	Status           string `json:"status"`
	Paused           bool   `json:"paused"`
	Usable           bool   `json:"usable"`
	UnusableReason   string `json:"unusable_reason,omitempty"`
	ExpiresAt        string `json:"expires_at,omitempty"` // absent: no end date known (a link)
	ExpiresSoon      bool   `json:"expires_soon"`
	BeneficiaryModel string `json:"beneficiary_model"`
	CreditorCount    int    `json:"creditor_count"`
	BaseConsentID    string `json:"base_consent_id,omitempty"`
	RenewedFrom      string `json:"renewed_from,omitempty"`
	// PaymentCount and TotalPaid are what the consent has paid, as its screens say it: the
	// payments the bank accepted, counted in every currency, summed in Currency. OtherPaid is
	// what it paid in each other currency (a SpareBank 1 link paying EUR over SEPA), never added
	// to TotalPaid. A payment queued or awaiting the bank is not paid (it still counts against
	// the limits, as Used does).
	PaymentCount int `json:"payment_count"`
	// Provider is the standard of Bank as configured ("" when the bank left the config);
	// Currency is what the consent (or link) pays in, the currency of TotalPaid.
	Provider      string       `json:"provider"`
	Currency      string       `json:"currency"`
	TotalPaid     string       `json:"total_paid"`
	OtherPaid     []PaidReport `json:"other_paid,omitempty"`
	LastSyncedAt  string       `json:"last_synced_at,omitempty"`
	Creditors     []string     `json:"creditor_names,omitempty"` // PII, on request
	DebtorAccount string       `json:"debtor_account,omitempty"` // PII, on request
}

// PaidReport is what a consent paid in one currency.
type PaidReport struct {
	Currency     string `json:"currency"`
	TotalPaid    string `json:"total_paid"`
	PaymentCount int    `json:"payment_count"`
}

// LimitsReport is the limits in force ("" = no limit; a count of 0 = no limit).
type LimitsReport struct {
	PerPayment   string `json:"per_payment"`
	PerDay       string `json:"per_day"`
	PerMonth     string `json:"per_month"`
	PerDayCount  int    `json:"per_day_count"`
	ConsentTotal string `json:"consent_total"`
}

// UsageReport is what counts against the day and month limits now.
type UsageReport struct {
	Day      string `json:"day"`
	DayCount int    `json:"day_count"`
	Month    string `json:"month"`
}

// recentInStatus is how many of the newest payments the status report lists.
const recentInStatus = 10

// StatusOptions tune the status report.
type StatusOptions struct {
	Defaults   Limits // the configured limits (edits persisted in the ledger win)
	IncludePII bool
	// Banks are the ids of the configured banks; a consent at any other bank is reported
	// unusable, since the wallet cannot reach it. nil skips the check.
	Banks []string
	// BankReports describe the configured banks (the report's banks; each consent's and
	// payment's provider comes from them).
	BankReports []BankReport
}

// Status builds the status report.
func (l *Ledger) Status(ctx context.Context, opts StatusOptions) (StatusReport, error) {
	defaults, includePII := opts.Defaults, opts.IncludePII
	now := l.now()
	rep := StatusReport{SchemaVersion: 1, GeneratedAt: now.UTC().Format(time.RFC3339), Consents: []ConsentReport{},
		Banks: append([]BankReport{}, opts.BankReports...)}
	providers := make(map[string]string, len(opts.BankReports))
	for _, b := range opts.BankReports {
		providers[b.ID] = b.Provider
	}
	consents, err := l.Consents(ctx)
	if err != nil {
		return StatusReport{}, err
	}
	for _, c := range consents {
		paid, err := l.ConsentPaid(ctx, c.ID)
		if err != nil {
			return StatusReport{}, err
		}
		cr := ConsentReport{ID: c.ID, Bank: c.Bank, Status: string(c.Status), Paused: c.Paused,
			ExpiresSoon:      ExpiresSoon(c, now),
			BeneficiaryModel: string(c.Model), CreditorCount: len(c.Creditors), BaseConsentID: c.BaseConsentID,
			RenewedFrom: c.RenewedFrom, TotalPaid: money.Zero.String(),
			Provider: providers[c.Bank], Currency: currencyOr(c.Currency)}
		for _, t := range paid {
			cr.PaymentCount += t.Count
			if t.Currency == cr.Currency {
				cr.TotalPaid = t.Paid.String()
			} else {
				cr.OtherPaid = append(cr.OtherPaid, PaidReport{Currency: t.Currency, TotalPaid: t.Paid.String(), PaymentCount: t.Count})
			}
		}
		if !c.Expires.IsZero() { // not "0001-01-01T00:00:00Z", which a script would read as long expired
			cr.ExpiresAt = c.Expires.UTC().Format(time.RFC3339)
		}
		if !c.LastSynced.IsZero() {
			cr.LastSyncedAt = c.LastSynced.UTC().Format(time.RFC3339)
		}
		if err := Usable(c, now); err != nil {
			cr.UnusableReason = err.Error()
		} else if opts.Banks != nil && !slices.Contains(opts.Banks, c.Bank) {
			cr.UnusableReason = fmt.Sprintf("Its bank (id %q) is not in the config.", c.Bank)
		} else {
			cr.Usable = true
		}
		if includePII {
			for _, cred := range c.Creditors {
				cr.Creditors = append(cr.Creditors, cred.Name)
			}
			cr.DebtorAccount = c.DebtorAccount
		}
		rep.Consents = append(rep.Consents, cr)
	}
	lim, err := l.Limits(ctx, defaults)
	if err != nil {
		return StatusReport{}, err
	}
	amt := func(a money.Amount) string {
		if a.IsZero() {
			return ""
		}
		return a.String()
	}
	rep.Limits = LimitsReport{PerPayment: amt(lim.PerPayment), PerDay: amt(lim.PerDay), PerMonth: amt(lim.PerMonth),
		PerDayCount: lim.PerDayCount, ConsentTotal: amt(lim.ConsentTotal)}
	u, err := l.Usage(ctx, "")
	if err != nil {
		return StatusReport{}, err
	}
	rep.Used = UsageReport{Day: u.Day.String(), DayCount: u.DayCount, Month: u.Month.String()}
	open, err := l.OpenPayments(ctx)
	if err != nil {
		return StatusReport{}, err
	}
	rep.OpenPayments = len(open)
	at, err := l.OnboardedAt(ctx)
	if err != nil {
		return StatusReport{}, err
	}
	rep.Onboarded = !at.IsZero()
	page, err := l.History(ctx, HistoryQuery{Limit: recentInStatus})
	if err != nil {
		return StatusReport{}, err
	}
	banks, err := l.consentBanks(ctx)
	if err != nil {
		return StatusReport{}, err
	}
	rep.RecentPayments = make([]ExportRow, 0, len(page.Rows))
	for _, r := range page.Rows {
		rep.RecentPayments = append(rep.RecentPayments, toExportRow(r, includePII, banks, providers))
	}
	return rep, nil
}

// WriteStatusJSON writes the status report as indented JSON.
func (l *Ledger) WriteStatusJSON(ctx context.Context, out io.Writer, opts StatusOptions) error {
	rep, err := l.Status(ctx, opts)
	if err != nil {
		return err
	}
	raw, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	if _, err := out.Write(append(safetext.JSON(raw), '\n')); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}
