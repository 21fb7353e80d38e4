package op

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"time"
)

// The payer's tokens (access and refresh per authorizationId) are what lets the wallet submit a
// payment the payer approved at OP: OP's page does not open again for an approved bundle. A
// wallet that restarts between the approval and the submission needs them back, so they go to
// a TokenKeeper (the core's secret store) on every change and come back with RestoreTokens.
// They never go to the core's Blob, the ledger or a log.

// TokenKeeper keeps the payer's tokens (TokenKeeper's bytes are a secret) across restarts.
type TokenKeeper interface {
	Keep(tokens []byte) error
	Forget() error
}

// keptTokens is the kept form: versioned, strict.
type keptTokens struct {
	V      int         `json:"v"`
	Tokens []keptToken `json:"tokens"`
}

type keptToken struct {
	AuthorizationID string    `json:"authorizationId"`
	Access          string    `json:"access,omitempty"`
	AccessExp       time.Time `json:"accessExp"`
	Refresh         string    `json:"refresh,omitempty"`
	RefreshExp      time.Time `json:"refreshExp"`
}

const (
	keptVersion   = 1
	keptMaxBytes  = 256 << 10
	keptMaxTokens = 512
)

// parseKeptTokens reads what a TokenKeeper kept. Anything but the exact form is an error: a
// damaged entry is dropped by the caller and the tokens are then lost (the payer approves again).
func parseKeptTokens(raw []byte) (map[string]*userToken, error) {
	if len(raw) == 0 || len(raw) > keptMaxBytes {
		return nil, errors.New("the kept OP tokens are empty or too large")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var k keptTokens
	if err := dec.Decode(&k); err != nil {
		return nil, fmt.Errorf("the kept OP tokens are unreadable: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("the kept OP tokens have trailing data")
	}
	if k.V != keptVersion {
		return nil, fmt.Errorf("the kept OP tokens are of version %d, not %d", k.V, keptVersion)
	}
	if len(k.Tokens) > keptMaxTokens {
		return nil, errors.New("the kept OP tokens are too many")
	}
	out := make(map[string]*userToken, len(k.Tokens))
	for _, t := range k.Tokens {
		switch {
		case !printableID(t.AuthorizationID, 256):
			return nil, errors.New("a kept OP token names no valid authorizationId")
		case out[t.AuthorizationID] != nil:
			return nil, errors.New("the kept OP tokens name an authorization twice")
		case t.Access == "" && t.Refresh == "":
			return nil, errors.New("a kept OP token holds no token")
		case t.Access != "" && !printableToken(t.Access, 8192), t.Refresh != "" && !printableToken(t.Refresh, 8192):
			return nil, errors.New("a kept OP token is not printable")
		case t.Refresh != "" && t.RefreshExp.IsZero():
			return nil, errors.New("a kept OP refresh token has no end")
		}
		out[t.AuthorizationID] = &userToken{access: t.Access, exp: t.AccessExp, refresh: t.Refresh, refreshExp: t.RefreshExp}
	}
	return out, nil
}

// RestoreTokens puts the payer's tokens a TokenKeeper kept back into use (after a restart);
// those that have run out are left out. An unreadable entry is an error and nothing is restored.
func (b *Bank) RestoreTokens(kept []byte) error {
	users, err := parseKeptTokens(kept)
	if err != nil {
		return err
	}
	now := b.cfg.Clock()
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, u := range users {
		if usable(u, now) && b.users[id] == nil {
			b.users[id] = u
		}
	}
	return nil
}

// usable: the token can still submit, or be renewed.
func usable(u *userToken, now time.Time) bool {
	return (u.access != "" && now.Before(u.exp)) || (u.refresh != "" && now.Before(u.refreshExp))
}

// keepTokens hands the current tokens to the keeper (none left: Forget). keepMu orders the
// snapshots, so the last one kept is the newest. A keeper that fails is reported to the caller,
// which decides whether the payment can go on without it.
func (b *Bank) keepTokens() error {
	if b.cfg.Tokens == nil {
		return nil
	}
	b.keepMu.Lock()
	defer b.keepMu.Unlock()
	now := b.cfg.Clock()
	b.mu.Lock()
	k := keptTokens{V: keptVersion}
	for id, u := range b.users {
		if usable(u, now) {
			k.Tokens = append(k.Tokens, keptToken{AuthorizationID: id, Access: u.access, AccessExp: u.exp, Refresh: u.refresh, RefreshExp: u.refreshExp})
		}
	}
	b.mu.Unlock()
	if len(k.Tokens) == 0 {
		return b.cfg.Tokens.Forget()
	}
	sort.Slice(k.Tokens, func(i, j int) bool { return k.Tokens[i].AuthorizationID < k.Tokens[j].AuthorizationID })
	raw, err := json.Marshal(k)
	if err != nil {
		return err
	}
	return b.cfg.Tokens.Keep(raw)
}

// HoldsPayerTokens (provider.PayerTokens): ending the link must forget them (RevokeGrant).
func (b *Bank) HoldsPayerTokens() bool { return true }

// renewUser renews the payer's token for authID with its refresh token (within 45 days of the
// SCA), whatever the held access token's end says: OP refused it (a restored token the bank no
// longer knows). Nil when none can be had.
func (b *Bank) renewUser(ctx context.Context, authID string) *userToken {
	b.mu.Lock()
	u := b.users[authID]
	var rt string
	if u != nil && u.refresh != "" && b.cfg.Clock().Before(u.refreshExp) {
		rt = u.refresh
	}
	b.mu.Unlock()
	if rt == "" {
		return nil
	}
	t, err := b.tokenCall(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {"payments"}})
	if err != nil {
		return nil
	}
	b.mu.Lock()
	u.access, u.exp = t.AccessToken, b.cfg.Clock().Add(time.Duration(t.ExpiresIn)*time.Second)
	if t.RefreshToken != "" {
		u.refresh = t.RefreshToken
	}
	cp := *u
	b.mu.Unlock()
	_ = b.keepTokens() // the renewed token is in use now; a keeper failure only costs a refresh later
	return &cp
}

// ApprovalExpiry is when the refresh token of the latest bank approval still held ends (45 days
// after that SCA; zero when none is held): the grant dashboard shows it and warns ahead, since
// past it the exemption flow and a late re-submission need a new approval at OP.
func (b *Bank) ApprovalExpiry() time.Time {
	authID, u := b.latestRefresh()
	if u == nil {
		return time.Time{}
	}
	return b.RefreshExpiry(authID)
}
