package app

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// RunWallet is `payterm`: open the wallet, run the terminal UI until the user quits, close.
func RunWallet(ctx context.Context, cfg config.Config) (err error) {
	a, err := Open(ctx, cfg, Options{})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, a.Close()) }()
	return ui.Run(ctx, a.UIWallet(), ui.Options{Accessible: cfg.UI.Accessible, NoColor: cfg.UI.NoColor,
		IdleTimeout: cfg.Security.IdleLock.Duration,
		OpenURL:     func(u string) error { return consent.SystemOpener(ctx, u) }})
}

// openLedgerOnly opens the ledger of an existing data dir for reading. It takes no data dir
// lock and starts no bank: scripts may read while the wallet runs (SQLite WAL allows it).
func openLedgerOnly(ctx context.Context, cfg config.Config) (*wallet.Ledger, error) {
	dir := cfg.ResolvedDataDir()
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("no payterm data in %s (run payterm once first): %w", dir, err)
	}
	l, err := wallet.OpenLedger(ctx, dir, wallet.LedgerOptions{})
	if err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	return l, nil
}

// historyFields are the export's stable column names, in order. The PII columns come last and
// only with withPII.
var (
	historyFields = []string{"id", "payment_id", "consent_id", "created", "updated", "amount", "currency", "purpose",
		"status", "outcome", "reject_code"}
	historyPIIFields = []string{"payee_name", "payee_iban", "reference"}
)

// ExportHistory writes every payment, newest first, as CSV or JSON (an array of objects with the
// same field names). Payee names, IBANs and references are PII and only written withPII.
func ExportHistory(ctx context.Context, cfg config.Config, w io.Writer, format string, withPII bool) (err error) {
	if format != "csv" && format != "json" {
		return fmt.Errorf("unknown format %q: use csv or json", sanitize(format, 20))
	}
	l, err := openLedgerOnly(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, l.Close()) }()
	return exportHistory(ctx, l, w, format, withPII)
}

func exportHistory(ctx context.Context, l *wallet.Ledger, w io.Writer, format string, withPII bool) error {
	cols := historyFields
	if withPII {
		cols = append(append([]string(nil), historyFields...), historyPIIFields...)
	}
	var cw *csv.Writer
	first := true
	if format == "csv" {
		cw = csv.NewWriter(w)
		if err := cw.Write(cols); err != nil {
			return fmt.Errorf("write history: %w", err)
		}
	} else if _, err := io.WriteString(w, "["); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	q := wallet.HistoryQuery{Limit: 500}
	for {
		page, err := l.History(ctx, q)
		if err != nil {
			return err
		}
		for _, r := range page.Rows {
			vals := historyValues(r, withPII)
			if cw != nil {
				rec := make([]string, len(cols))
				for i, c := range cols {
					rec[i] = csvSafe(vals[c])
				}
				if err := cw.Write(rec); err != nil {
					return fmt.Errorf("write history: %w", err)
				}
				continue
			}
			obj := make(map[string]string, len(cols))
			for _, c := range cols {
				obj[c] = vals[c]
			}
			raw, err := json.Marshal(obj)
			if err != nil {
				return fmt.Errorf("encode history: %w", err)
			}
			sep := ",\n"
			if first {
				sep, first = "\n", false
			}
			if _, err := io.WriteString(w, sep+string(raw)); err != nil {
				return fmt.Errorf("write history: %w", err)
			}
		}
		if !page.More || len(page.Rows) == 0 {
			break
		}
		q.After = page.Rows[len(page.Rows)-1].ID
	}
	if cw != nil {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return fmt.Errorf("write history: %w", err)
		}
		return nil
	}
	if _, err := io.WriteString(w, "\n]\n"); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	return nil
}

func historyValues(r wallet.PaymentRow, withPII bool) map[string]string {
	v := map[string]string{
		"id": strconv.FormatInt(r.ID, 10), "payment_id": r.BankPaymentID, "consent_id": r.ConsentID,
		"created": r.Created.UTC().Format(time.RFC3339), "updated": r.Updated.UTC().Format(time.RFC3339),
		"amount": r.Amount.Wire(), "currency": r.Currency, "purpose": r.Purpose, "status": string(r.Status),
		"outcome": string(r.Status.Outcome()), "reject_code": r.RejectCode,
	}
	if withPII {
		v["payee_name"], v["payee_iban"], v["reference"] = r.PayeeName, r.PayeeIBAN, r.Reference
	}
	return v
}

// csvSafe stops a spreadsheet from running a cell typed by someone else (a payee name or a
// reference) as a formula (OWASP CSV injection).
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

// statusReport is `payterm status --json`: stable names, no secrets, no PII.
type statusReport struct {
	DataDir   string          `json:"data_dir"`
	BankMode  string          `json:"bank_mode"`
	Bank      string          `json:"bank"`
	Onboarded bool            `json:"onboarded"`
	Consents  []statusConsent `json:"consents"`
	Limits    statusLimits    `json:"limits"`
	Recent    []statusPayment `json:"recent_payments"`
}

type statusConsent struct {
	ID            string    `json:"id"`
	BaseConsentID string    `json:"base_consent_id,omitempty"`
	Status        string    `json:"status"`
	Paused        bool      `json:"paused"`
	Usable        bool      `json:"usable"`
	Bank          string    `json:"bank"`
	Model         string    `json:"beneficiary_model"`
	Payees        int       `json:"payees"`
	Created       time.Time `json:"created"`
	Expires       time.Time `json:"expires"`
	TotalPaid     string    `json:"total_paid"`
	PaymentCount  int       `json:"payment_count"`
}

type statusLimits struct {
	PerPayment   string `json:"per_payment"`
	PerDay       string `json:"per_day"`
	PerMonth     string `json:"per_month"`
	PerDayCount  int    `json:"per_day_count"`
	ConsentTotal string `json:"consent_total"`
	UsedDay      string `json:"used_day"`
	UsedDayCount int    `json:"used_day_count"`
	UsedMonth    string `json:"used_month"`
}

type statusPayment struct {
	ID        int64     `json:"id"`
	PaymentID string    `json:"payment_id"`
	ConsentID string    `json:"consent_id"`
	Created   time.Time `json:"created"`
	Amount    string    `json:"amount"`
	Currency  string    `json:"currency"`
	Status    string    `json:"status"`
	Outcome   string    `json:"outcome"`
}

// Status writes the consents, limits and recent payments as JSON for scripts. A zero limit
// ("0.00", count 0) means no limit, as in the config file's "".
func Status(ctx context.Context, cfg config.Config, w io.Writer) (err error) {
	l, err := openLedgerOnly(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, l.Close()) }()
	return writeStatus(ctx, l, cfg, w, time.Now())
}

func writeStatus(ctx context.Context, l *wallet.Ledger, cfg config.Config, w io.Writer, now time.Time) error {
	rep := statusReport{DataDir: cfg.ResolvedDataDir(), BankMode: cfg.Bank.Mode, Bank: cfg.Bank.Name,
		Consents: []statusConsent{}, Recent: []statusPayment{}}
	at, err := l.OnboardedAt(ctx)
	if err != nil {
		return err
	}
	rep.Onboarded = !at.IsZero()
	cs, err := l.Consents(ctx)
	if err != nil {
		return err
	}
	for _, c := range cs {
		total, n, err := l.ConsentTotal(ctx, c.ID)
		if err != nil {
			return err
		}
		rep.Consents = append(rep.Consents, statusConsent{ID: c.ID, BaseConsentID: c.BaseConsentID, Status: string(c.Status),
			Paused: c.Paused, Usable: wallet.Usable(c, now) == nil, Bank: c.Bank, Model: string(c.Model), Payees: len(c.Creditors),
			Created: c.Created.UTC(), Expires: c.Expires.UTC(), TotalPaid: total.Wire(), PaymentCount: n})
	}
	defaults, err := wallet.LimitsFromStrings(cfg.Limits.PerPayment, cfg.Limits.PerDay, cfg.Limits.PerMonth, cfg.Limits.PerDayCount, cfg.Limits.ConsentTotal)
	if err != nil {
		return fmt.Errorf("limits: %w", err)
	}
	h, err := l.Headroom(ctx, "", defaults)
	if err != nil {
		return err
	}
	rep.Limits = statusLimits{PerPayment: h.Limits.PerPayment.Wire(), PerDay: h.Limits.PerDay.Wire(), PerMonth: h.Limits.PerMonth.Wire(),
		PerDayCount: h.Limits.PerDayCount, ConsentTotal: h.Limits.ConsentTotal.Wire(), UsedDay: h.Used.Day.Wire(),
		UsedDayCount: h.Used.DayCount, UsedMonth: h.Used.Month.Wire()}
	page, err := l.History(ctx, wallet.HistoryQuery{Limit: 10})
	if err != nil {
		return err
	}
	for _, r := range page.Rows {
		rep.Recent = append(rep.Recent, statusPayment{ID: r.ID, PaymentID: r.BankPaymentID, ConsentID: r.ConsentID, Created: r.Created.UTC(),
			Amount: r.Amount.Wire(), Currency: r.Currency, Status: string(r.Status), Outcome: string(r.Status.Outcome())})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}
