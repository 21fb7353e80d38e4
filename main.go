// Command payterm is a terminal wallet that pays with delegated SCA under UAE Open Finance v2.1.
// main parses the command line, loads the config and wires the packages; it holds no logic.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/payterm/payterm/app"
	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/internal/safetext"
)

const usage = `payterm — a terminal wallet: UAE Open Finance v2.1 with delegated SCA, and the PSD2
payment initiation of Berlin Group banks, SpareBank 1, Fintecture and OP

Usage:
  payterm [flags]                      the wallet (on the embedded sandbox bank by default)
  payterm sandbox [flags]              the strict sandbox bank as a standalone server
                                       (--standard berlin-group --profile bg|sb1|bog: a Berlin Group bank;
                                        --standard fintecture: a Fintecture hub;
                                        --standard op: an OP bank, --payer-accounts for own accounts)
  payterm history [--format csv|json]  export payment history; filters: --from DAY --to DAY
                                       (local days, --to included; or RFC 3339 times),
                                       --status successful|pending|failed, --payee NAME-PART,
                                       --consent ID
  payterm status --json                consents, limits and recent payments for scripts
  payterm reset [--yes]                last resort when the PIN, authenticator or recovery code is
                                       lost: revokes the consents at the bank, deletes their tokens,
                                       the PIN, the authenticator and the device key; keeps history.
                                       Asks you to type "reset" (--yes: don't ask, for scripts)
  payterm csr --bank ID [--org NAME --org-id ID --cn CLIENT_ID --out DIR]
                                       with [pkcs11]: creates the bank's transport and signing
                                       keys in the token (or finds them) and prints (or writes
                                       into DIR) a certificate request for each, for the Trust
                                       Framework
  payterm version

Flags:
`

func main() {
	// SIGTERM (kill, a service manager) and SIGHUP (the terminal went away) end payterm at once,
	// as ctrl+c on a screen with nothing in flight does: a payment in flight loses nothing (it
	// is saved before it is sent and resumed at the next start).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// globalFlags are accepted before or after the subcommand.
type globalFlags struct {
	configPath string
	dataDir    string
	accessible bool
	noColor    bool
}

func (g *globalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.configPath, "config", "", "config file (default $XDG_CONFIG_HOME/payterm/config.toml)")
	fs.StringVar(&g.dataDir, "data-dir", "", "data directory (overrides data_dir in the config)")
	fs.BoolVar(&g.accessible, "accessible", false, "screen-reader friendly output: no box drawing, no spinners")
	fs.BoolVar(&g.noColor, "no-color", false, "no colours (NO_COLOR does the same)")
}

// run is main without the process: it returns the exit code (0 ok, 1 failure, 2 usage).
// stdin is read only by `payterm reset`, for its confirmation, and only when it is a terminal.
//
// stdout and stderr pass through safetext: whatever a command prints (ids and statuses from a
// bank, an error quoting a server's certificate) reaches the terminal without control
// characters or bidi overrides.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	out, errOut := safetext.NewWriter(stdout), safetext.NewWriter(stderr)
	defer func() { _, _ = out.Flush(), errOut.Flush() }()
	return runCommand(ctx, args, stdin, out, errOut)
}

func runCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := ""
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var g globalFlags
	fs := flag.NewFlagSet("payterm "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	g.register(fs)

	var err error
	switch cmd {
	case "":
		if err = parse(fs, args); err == nil {
			err = runWallet(ctx, g, stdin)
		}
	case "sandbox":
		var o sandboxFlags
		o.register(fs)
		if err = parse(fs, args); err == nil {
			set := map[string]bool{}
			fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
			if err = o.check(set); err == nil {
				err = runSandbox(ctx, g, o, stdout)
			}
		}
	case "history":
		format := fs.String("format", "csv", "csv or json")
		withPII := fs.Bool("with-pii", false, "include payee names and IBANs (left out by default)")
		var hf app.HistoryFlags
		fs.StringVar(&hf.From, "from", "", "only payments from this day (2026-03-01, local) or time (RFC 3339)")
		fs.StringVar(&hf.To, "to", "", "only payments up to this day, included (2026-03-31, local), or before this time (RFC 3339)")
		fs.StringVar(&hf.Status, "status", "", "only successful, pending or failed payments")
		fs.StringVar(&hf.Payee, "payee", "", "only payments to payees whose name contains this (any case)")
		fs.StringVar(&hf.Consent, "consent", "", "only payments made with this consent id")
		if err = parse(fs, args); err == nil {
			err = runHistory(ctx, g, *format, *withPII, hf, stdout)
		}
	case "status":
		asJSON := fs.Bool("json", false, "print JSON (the only format for now)")
		if err = parse(fs, args); err == nil {
			if !*asJSON {
				err = usageError("status needs --json")
			} else {
				err = runStatus(ctx, g, stdout)
			}
		}
	case "reset":
		yes := fs.Bool("yes", false, "reset without asking for confirmation (scripts)")
		if err = parse(fs, args); err == nil {
			err = runReset(ctx, g, *yes, stdin, stdout)
		}
	case "csr":
		var o csrFlags
		o.register(fs)
		if err = parse(fs, args); err == nil {
			err = runCSR(ctx, g, o, stdout)
		}
	case "version":
		if err = parse(fs, args); err == nil {
			fmt.Fprintln(stdout, versionString())
		}
	case "help":
		fs.Usage()
		return 0
	default:
		err = usageError(fmt.Sprintf("unknown command %q", cmd))
	}
	return exitCode(err, stderr)
}

type usageErr struct{ msg string }

func (e usageErr) Error() string { return e.msg }

func usageError(msg string) error { return usageErr{msg} }

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return flag.ErrHelp
		}
		return usageErr{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageErr{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

func exitCode(err error, stderr io.Writer) int {
	var ue usageErr
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "payterm: %s\nRun 'payterm help' for usage.\n", ue.msg)
		return 2
	case errors.Is(err, context.Canceled):
		return 130
	default:
		fmt.Fprintf(stderr, "payterm: %s\n", safetext.Error(err))
		return 1
	}
}

// loadConfig reads the config file and applies the command-line overrides.
func loadConfig(g globalFlags) (config.Config, error) {
	path, explicit := g.configPath, g.configPath != ""
	if !explicit {
		path = config.DefaultPath()
	}
	cfg, err := config.Load(path, explicit)
	if err != nil {
		return config.Config{}, err
	}
	if g.dataDir != "" {
		cfg.DataDir = g.dataDir
	}
	cfg.UI.Accessible = cfg.UI.Accessible || g.accessible
	cfg.UI.NoColor = cfg.UI.NoColor || g.noColor
	if err := cfg.Validate(); err != nil {
		return config.Config{}, err
	}
	return cfg, nil
}
