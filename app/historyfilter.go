package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/wallet"
)

// HistoryFlags are `payterm history`'s filter flags as typed ("" = not given).
type HistoryFlags struct {
	From, To string // a day (2026-03-01, local) or an instant (RFC 3339)
	Status   string // successful, pending or failed
	Payee    string // part of the payee's name, any case
	Consent  string // a consent id
}

// Limits of what the filter flags accept.
const (
	maxPayeeFilter   = 140
	maxConsentFilter = 128
)

// ParseHistoryFlags turns the filter flags into the core's filter (wallet.HistoryFilter). Days
// are local days, as the screens show them: --from 2026-03-01 starts at that day's local
// midnight, --to 2026-03-31 takes in the whole day; an RFC 3339 instant is taken as it is
// (--to is then exclusive). Every refusal is one sentence naming the flag and what to type.
func ParseHistoryFlags(f HistoryFlags, loc *time.Location) (wallet.HistoryFilter, error) {
	if loc == nil {
		loc = time.Local
	}
	var out wallet.HistoryFilter
	var err error
	if f.From != "" {
		if out.From, _, err = parseWhen("--from", f.From, loc); err != nil {
			return wallet.HistoryFilter{}, err
		}
	}
	if f.To != "" {
		var day bool
		if out.To, day, err = parseWhen("--to", f.To, loc); err != nil {
			return wallet.HistoryFilter{}, err
		}
		if day {
			out.To = out.To.AddDate(0, 0, 1) // the whole day, up to the next local midnight
		}
	}
	if !out.From.IsZero() && !out.To.IsZero() && !out.From.Before(out.To) {
		return wallet.HistoryFilter{}, fmt.Errorf("--from %s is not before --to %s: give a --from earlier than --to", f.From, f.To)
	}
	switch s := strings.ToLower(strings.TrimSpace(f.Status)); s {
	case "":
	case string(wallet.OutcomeSuccessful), string(wallet.OutcomePending), string(wallet.OutcomeFailed):
		out.Outcome = wallet.Outcome(s)
	default:
		return wallet.HistoryFilter{}, fmt.Errorf("--status %q is not one payterm knows: use successful, pending or failed", safetext.Short(f.Status, 30))
	}
	if f.Payee != "" {
		p := strings.TrimSpace(f.Payee)
		switch {
		case p == "":
			return wallet.HistoryFilter{}, errors.New("--payee is empty: give part of the payee's name")
		case !utf8.ValidString(p) || strings.IndexFunc(p, notPrintable) >= 0 || safetext.Line(p) != p:
			return wallet.HistoryFilter{}, errors.New("--payee contains a control character: give part of the payee's name as plain text")
		case utf8.RuneCountInString(p) > maxPayeeFilter:
			return wallet.HistoryFilter{}, fmt.Errorf("--payee is longer than %d characters: give part of the payee's name", maxPayeeFilter)
		}
		out.PayeeName = p
	}
	if f.Consent != "" {
		c := strings.TrimSpace(f.Consent)
		if c == "" || len(c) > maxConsentFilter || strings.IndexFunc(c, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
			return wallet.HistoryFilter{}, fmt.Errorf("--consent %q is not a consent id: copy the id from the consent's detail (c on Home) or from `payterm status --json`", safetext.Short(f.Consent, 40))
		}
		out.ConsentID = c
	}
	return out, nil
}

func notPrintable(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }

// parseWhen reads a day (YYYY-MM-DD, local) or an RFC 3339 instant; day says which it was.
func parseWhen(flag, s string, loc *time.Location) (time.Time, bool, error) {
	s = strings.TrimSpace(s)
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return t, true, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, false, nil
	}
	return time.Time{}, false, fmt.Errorf("%s %q is not a date: use a day such as 2026-03-01 or a time such as 2026-03-01T09:30:00Z", flag, safetext.Short(s, 40))
}

// ExportHistoryFiltered is ExportHistory of the payments the filter keeps (ParseHistoryFlags).
func ExportHistoryFiltered(ctx context.Context, cfg config.Config, w io.Writer, format string, withPII bool, filter wallet.HistoryFilter) (err error) {
	if format != "csv" && format != "json" {
		return fmt.Errorf("unknown format %q: use csv or json", safetext.Short(format, 20))
	}
	l, err := openLedgerOnly(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, l.Close()) }()
	return l.ExportHistory(ctx, w, format, wallet.ExportOptions{IncludePII: withPII, Filter: filter, Providers: providersOf(cfg)})
}
