package app

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payterm/payterm/ui"
)

// TestUnrecordedConsentIsRevoked: when the bank authorised a consent but the ledger cannot
// record it, the wallet revokes it at the bank (RevokedBy TPP) instead of leaving a consent
// that can pay and that no screen shows; the error says so.
func TestUnrecordedConsentIsRevoked(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	cfg := testConfig(t)
	a := openApp(t, cfg, clock)
	defer a.Close()
	w := a.UIWallet()
	onboard(t, w, clock, twoPayees()[:1])

	db, err := sql.Open("sqlite", filepath.Join(cfg.ResolvedDataDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER test_full BEFORE INSERT ON consents BEGIN SELECT RAISE(ABORT, 'disk full'); END`); err != nil {
		t.Fatal(err)
	}
	if err := w.SaveBeneficiaries(ctx, ui.BeneficiaryPlan{Model: ui.BeneficiaryOpen}); err != nil {
		t.Fatal(err)
	}
	step, err := w.BeginBankStep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	browse(t, step.URL)
	_, err = w.AwaitBankCallback(ctx, step)
	if err == nil || !strings.Contains(err.Error(), "revoked it at the bank") {
		t.Fatalf("an unrecorded consent: %v", err)
	}
	if st, _ := a.Sandbox().ConsentStatus(step.ConsentID); st != "Revoked" {
		t.Fatalf("the unrecorded consent is %q at the bank", st)
	}
	if by, _ := a.Sandbox().ConsentRevokedBy(step.ConsentID); by != "TPP" {
		t.Fatalf("RevokedBy = %q, want TPP", by)
	}
}
