package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/payterm/payterm/internal/iban"
	"net"
	"net/url"
	"os"
	"path/filepath"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/sandbox"
	"github.com/payterm/payterm/sandbox/rules"
)

// The embedded sandbox listens on loopback ports chosen at the first start and reused later:
// its issuer URL (the aud of every signed request) contains the port, so a payment signed
// before a restart and resent after it must meet the same issuer. When a port is taken the
// bank starts on fresh ports; an unfinished payment signed for the old issuer is then refused
// by the bank and ends as Refused (nothing is paid), which is the honest outcome.

const sandboxAddrsFile = "sandbox-listen.json"

type sandboxAddrs struct {
	Issuer    string `json:"issuer"`
	Authorize string `json:"authorize"`
	AS        string `json:"as"`
	Resource  string `json:"resource"`
}

func (s sandboxAddrs) valid() bool {
	for _, a := range []string{s.Issuer, s.Authorize, s.AS, s.Resource} {
		host, port, err := net.SplitHostPort(a)
		if err != nil || net.ParseIP(host) == nil || !net.ParseIP(host).IsLoopback() || port == "" || port == "0" {
			return false
		}
	}
	return true
}

// SandboxConfig maps the [sandbox] settings and one bank's onto an embedded bank's config, with
// its state in dir. `payterm sandbox` uses it too, so the standalone bank behaves like the
// embedded one.
func SandboxConfig(cfg config.Config, bank config.Bank, dir string) (sandbox.Config, error) {
	bal, err := money.ParseWire(cfg.Sandbox.DebtorBalance)
	if err != nil {
		return sandbox.Config{}, fmt.Errorf("sandbox.debtor_balance: %w", err)
	}
	sb := cfg.Sandbox
	allow, rotate := sb.AllowLoopbackRedirect, sb.RotateRefreshTokens
	var holders []sandbox.AccountHolder
	if len(sb.AccountHolders) > 0 {
		holders = sandbox.DefaultAccountHolders()
		for _, h := range sb.AccountHolders {
			ib, _ := iban.Parse(h.IBAN) // checked by config.Validate
			holders = append(holders, sandbox.AccountHolder{IBAN: string(ib), Name: h.Name, Business: h.Business, OptedOut: h.OptedOut})
		}
	}
	return sandbox.Config{
		AccountHolders: holders,
		DataDir:        dir, AuthorizeTLS: sb.AuthorizeTLS, AutoApprove: sb.AutoApprove,
		AllowLoopbackRedirect: &allow, BalanceFils: bal.Minor(), BalanceFilsSet: true,
		SettleAfter: sb.SettleAfter.Duration, CreditAfter: sb.CreditAfter.Duration,
		BankName: bank.Name,
		// The [SIM-CHOICE] readings.
		Leeway: sb.ClockLeeway.Duration, SCAMaxAge: sb.SCAMaxAge.Duration, RotateRefreshTokens: &rotate,
		StrictIdempotencyMismatch: sb.IdempotencyMismatchConflict, CreditorMismatchAsReject: sb.CreditorMismatchRejectsPayment,
		AllowUnconfirmedCreditors: !sb.RequirePayeeConfirmation,
		GuidePathAlias:            sb.GuidePathAlias,
		Rules: rules.Options{
			RejectRequestObjectIATJTI: sb.RejectRequestObjectIATJTI, RejectJWECtyJWT: sb.RejectPIICtyJWT,
			AllowEmptyCreditorArray: sb.AllowEmptyCreditorArray, OpenNestedPaymentRisk: sb.OpenNestedPaymentRisk,
			AcceptStringAud: sb.AcceptStringAud,
		},
	}, nil
}

func startSandbox(dir string, cfg config.Config, bank config.Bank) (*sandbox.Bank, error) {
	var prev sandboxAddrs
	if raw, err := keystore.ReadPrivateFile(filepath.Join(dir, sandboxAddrsFile)); err == nil {
		if json.Unmarshal(raw, &prev) != nil || !prev.valid() {
			prev = sandboxAddrs{}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", sandboxAddrsFile, err)
	}
	try := func(addrs sandboxAddrs) (*sandbox.Bank, error) {
		bc, err := SandboxConfig(cfg, bank, filepath.Join(dir, "sandbox"))
		if err != nil {
			return nil, err
		}
		bc.IssuerAddr, bc.AuthorizeAddr, bc.ASAddr, bc.ResourceAddr = addrs.Issuer, addrs.Authorize, addrs.AS, addrs.Resource
		bank, err := sandbox.New(bc)
		if err != nil {
			return nil, fmt.Errorf("embedded sandbox: %w", err)
		}
		if err := bank.Start(); err != nil {
			return nil, fmt.Errorf("start embedded sandbox: %w", err)
		}
		return bank, nil
	}
	if prev.valid() {
		if bank, err := try(prev); err == nil {
			return bank, nil
		}
	}
	return try(sandboxAddrs{})
}

// recordSandboxAddrs keeps the ports the bank listens on for the next start. The AS and the
// consent page are only known from discovery (the UAE hub serves them on their own hosts).
func recordSandboxAddrs(ctx context.Context, dir string, bank *sandbox.Bank, c *lfi.Client) error {
	d, err := c.Discovery(ctx)
	if err != nil {
		return fmt.Errorf("sandbox discovery: %w", err)
	}
	hostOf := func(raw string) string {
		u, err := url.Parse(raw)
		if err != nil {
			return ""
		}
		return u.Host
	}
	now := sandboxAddrs{Issuer: hostOf(bank.Issuer()), Authorize: hostOf(d.AuthorizationEndpoint),
		AS: hostOf(d.TokenEndpoint), Resource: hostOf(bank.ResourceBaseURL())}
	if !now.valid() {
		return fmt.Errorf("sandbox listens on unexpected addresses")
	}
	path := filepath.Join(dir, sandboxAddrsFile)
	if raw, err := keystore.ReadPrivateFile(path); err == nil {
		var prev sandboxAddrs
		if json.Unmarshal(raw, &prev) == nil && prev == now {
			return nil
		}
	}
	return writeJSONFile(path, now)
}
