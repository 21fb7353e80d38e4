package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// settingReset is the ledger setting that records the last `payterm reset`. It lives in the
// ledger (SQLite, one atomic write) because the ledger is what the reset keeps.
const settingReset = "app.reset"

// resetRecord is what the ledger remembers of a reset.
//
// Started is written before the first step, Completed after the last; while only Started is
// set, Open refuses to run the wallet (a half-done reset may have left consents the bank still
// honours next to a wiped SCA) and `payterm reset` finishes the job. Consents lists every
// consent the ledger held when the reset began: they belong to the old device binding, so the
// wallet counts as onboarded again only once a consent outside this list is recorded.
type resetRecord struct {
	Started   time.Time `json:"started"`
	Completed time.Time `json:"completed,omitzero"`
	Consents  []string  `json:"consents"`
}

func (r resetRecord) pending() bool { return !r.Started.IsZero() && r.Completed.IsZero() }

// ErrResetUnfinished: a reset was interrupted; the wallet stays closed until it is finished.
var ErrResetUnfinished = errors.New("a payterm reset was interrupted before it finished; run 'payterm reset' again to finish it (the wallet stays closed until then)")

// errResetRecordDamaged: the ledger's reset record is not what saveResetRecord writes. Open
// treats it as an unfinished reset; the reset itself finishes and rewrites it.
var errResetRecordDamaged = errors.New("the ledger's reset record is damaged")

// loadResetRecord reads the record; ok is false when no reset ever ran.
func (a *App) loadResetRecord(ctx context.Context) (rec resetRecord, ok bool, err error) {
	raw, ok, err := a.ledger.Setting(ctx, settingReset)
	if err != nil || !ok {
		return resetRecord{}, false, err
	}
	if rec, err = parseResetRecord(raw); err != nil {
		return resetRecord{}, false, err
	}
	return rec, true, nil
}

// parseResetRecord reads what saveResetRecord wrote; anything else is errResetRecordDamaged.
func parseResetRecord(raw string) (resetRecord, error) {
	var rec resetRecord
	if err := json.Unmarshal([]byte(raw), &rec); err != nil || rec.Started.IsZero() {
		return resetRecord{}, errResetRecordDamaged
	}
	return rec, nil
}

func (a *App) saveResetRecord(ctx context.Context, rec resetRecord) error {
	raw, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode the reset record: %w", err)
	}
	if err := a.ledger.SetSetting(ctx, settingReset, string(raw)); err != nil {
		return fmt.Errorf("save the reset record: %w", err)
	}
	return nil
}

// onboarded: the user finished the wizard (a consent was recorded) and, if the wallet was
// reset since, finished it again (a consent the reset did not know of was recorded).
func (a *App) onboarded(ctx context.Context) (bool, error) {
	at, err := a.ledger.OnboardedAt(ctx)
	if err != nil || at.IsZero() {
		return false, err
	}
	rec, ok, err := a.loadResetRecord(ctx)
	if err != nil {
		return false, err
	}
	if !ok {
		return true, nil
	}
	if rec.pending() {
		return false, nil
	}
	cs, err := a.ledger.Consents(ctx)
	if err != nil {
		return false, err
	}
	for _, c := range cs {
		if !slices.Contains(rec.Consents, c.ID) {
			return true, nil
		}
	}
	return false, nil
}
