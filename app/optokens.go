package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/provider"
	opprov "github.com/payterm/payterm/provider/op"
)

// An OP payer's tokens (access and refresh per bank approval, provider/op) are kept like
// SpareBank 1's session: in the keystore (OS keyring, or the encrypted secrets file), one entry
// per bank, never in a plain file, the ledger or a log. They let a payment approved at OP be
// submitted after a restart (OP's page does not open again for it), and live as long as OP's
// refresh token (45 days). Ending the link, or payterm reset, deletes the entry.

// opTokenKeeper is opprov.TokenKeeper over the app's keystore, read when used: the keystore
// opens after the banks.
type opTokenKeeper struct {
	a    *App
	name string
}

// opTokensName is a bank's keystore entry: a digest of its id (keystore names are restricted
// to [a-z0-9._-]; a bank id is the user's).
func opTokensName(bankID string) string {
	sum := sha256.Sum256([]byte(bankID))
	return "op.tokens." + hex.EncodeToString(sum[:16])
}

func (k opTokenKeeper) Keep(tokens []byte) error {
	if k.a.store == nil {
		return errors.New("the secret store is not open")
	}
	if err := k.a.store.Set(k.name, tokens); err != nil {
		return fmt.Errorf("keep the payer's OP tokens: %w", err)
	}
	return nil
}

func (k opTokenKeeper) Forget() error {
	if k.a.store == nil {
		return errors.New("the secret store is not open")
	}
	if err := k.a.store.Delete(k.name); err != nil && !errors.Is(err, keystore.ErrNotFound) {
		return fmt.Errorf("forget the payer's OP tokens: %w", err)
	}
	return nil
}

// restoreOPTokens puts the kept tokens back into their OP banks from store, once it is open:
// in Open when the store opened in the foreground, else in the background open (secrets.go)
// before anything else can use the store, so no Keep or Forget of the provider can overwrite
// the kept entry before it was read. An unreadable entry is deleted: the payer then approves
// at OP again.
func (a *App) restoreOPTokens(store keystore.Store) error {
	for _, bc := range a.banks {
		if bc.op == nil || bc.op.prov == nil {
			continue
		}
		name := opTokensName(bc.cfg.ID)
		kept, err := store.Get(name)
		switch {
		case errors.Is(err, keystore.ErrNotFound):
			continue
		case err != nil:
			return fmt.Errorf("bank %s: read the payer's OP tokens from the secret store: %w", bc.cfg.ID, err)
		}
		if err := bc.op.prov.RestoreTokens(kept); err != nil {
			if derr := store.Delete(name); derr != nil && !errors.Is(derr, keystore.ErrNotFound) {
				return fmt.Errorf("bank %s: drop its unreadable OP tokens: %w", bc.cfg.ID, derr)
			}
		}
	}
	return nil
}

// opTokensBack waits until the payer's kept OP tokens are back in their providers: at once
// when the store opened in the foreground (Open restored them), else until the background open
// (which restores them before it lets anything use the store) is done, starting it if it is
// still held back for the first frame. Its error is the open's or the restore's.
func (a *App) opTokensBack(ctx context.Context) error {
	ls, ok := a.store.(*laterStore)
	if !ok {
		return nil
	}
	ls.needed()
	select {
	case <-ls.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return errors.Join(ls.err, ls.opErr)
}

// opTokensPending reports whether the payer's kept OP tokens may still be on their way back:
// the store opens in the background and has not finished (its open restores them before it
// finishes). A store that failed to open restores nothing: not pending.
func (a *App) opTokensPending() bool {
	open, _ := a.secretsOpen()
	return !open
}

// opBank is an OP bank as the wallet core calls it: every call that may use or change the
// payer's tokens first waits for them to be restored (opTokensBack), so a payment approved
// before a restart is never submitted, renewed or sent back to OP's page as if no token were
// kept, and the kept entry is never rewritten without them. Nothing has left the machine when
// the wait fails (ErrNotProcessed). Build and BuildBundled make no call with a token and do not
// wait; a bundle's approval and revocation do.
type opBank struct {
	*opprov.Bank
	back func(context.Context) error
}

func (b opBank) wait(ctx context.Context) error {
	if err := b.back(ctx); err != nil {
		return fmt.Errorf("%w: the payer's OP tokens could not be read back: %w", provider.ErrNotProcessed, err)
	}
	return nil
}

func (b opBank) Ready(ctx context.Context, p provider.Payment) error {
	if err := b.wait(ctx); err != nil {
		return err
	}
	return b.Bank.Ready(ctx, p)
}

func (b opBank) Send(ctx context.Context, p provider.Payment) (provider.State, error) {
	if err := b.wait(ctx); err != nil {
		return provider.State{}, err
	}
	return b.Bank.Send(ctx, p)
}

func (b opBank) Lookup(ctx context.Context, p provider.Payment) (provider.State, error) {
	if err := b.wait(ctx); err != nil {
		return provider.State{}, err
	}
	return b.Bank.Lookup(ctx, p)
}

func (b opBank) Status(ctx context.Context, p provider.Payment) (provider.State, error) {
	if err := b.wait(ctx); err != nil {
		return provider.State{}, err
	}
	return b.Bank.Status(ctx, p)
}

func (b opBank) Approve(ctx context.Context, p provider.Payment, in provider.Input) (provider.State, *provider.Action, error) {
	if err := b.wait(ctx); err != nil {
		return p.State, nil, err
	}
	return b.Bank.Approve(ctx, p, in)
}

func (b opBank) Cancel(ctx context.Context, p provider.Payment) (provider.State, *provider.Action, error) {
	if err := b.wait(ctx); err != nil {
		return p.State, nil, err
	}
	return b.Bank.Cancel(ctx, p)
}

func (b opBank) SyncGrant(ctx context.Context, grantID string) (provider.GrantState, error) {
	if err := b.wait(ctx); err != nil {
		return provider.GrantState{}, err
	}
	return b.Bank.SyncGrant(ctx, grantID)
}

func (b opBank) RevokeGrant(ctx context.Context, grantID string, by provider.RevokedBy) (string, error) {
	if err := b.wait(ctx); err != nil {
		return "", err
	}
	return b.Bank.RevokeGrant(ctx, grantID, by)
}

func (b opBank) ApproveBundle(ctx context.Context, ps []provider.Payment, in provider.Input) ([]provider.State, *provider.Action, error) {
	if err := b.wait(ctx); err != nil {
		return nil, nil, err
	}
	return b.Bank.ApproveBundle(ctx, ps, in)
}

func (b opBank) RevokeBundlePayments(ctx context.Context, ps []provider.Payment) ([]provider.State, error) {
	if err := b.wait(ctx); err != nil {
		return nil, err
	}
	return b.Bank.RevokeBundlePayments(ctx, ps)
}

// ForecastApproval counts from the approval whose tokens are kept: before they are back it
// would say no approval is held. A store that cannot be read gives no forecast.
func (b opBank) ForecastApproval(ctx context.Context, in provider.Intent, earlier []provider.Earlier, now time.Time) string {
	if b.wait(ctx) != nil {
		return ""
	}
	return b.Bank.ForecastApproval(ctx, in, earlier, now)
}

// forgetOPTokens deletes every OP bank's kept tokens (payterm reset). Ending the links does so
// already; this also covers a link whose end could not forget them.
func (a *App) forgetOPTokens() error {
	for _, bc := range a.banks {
		if bc.op == nil {
			continue
		}
		if err := (opTokenKeeper{a: a, name: opTokensName(bc.cfg.ID)}).Forget(); err != nil {
			return fmt.Errorf("bank %s: %w", bc.cfg.ID, err)
		}
	}
	return nil
}
