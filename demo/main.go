// Command demo walks an audience through delegated SCA with payterm on its embedded sandbox
// bank, in under three minutes: onboarding (PIN, authenticator, one payee, the consent, the
// bank's page), one payment, a walk through the protocol inspector, and revoking the consent.
// demo/SCRIPT.md says what to tell the audience at each step.
//
//	go run ./demo                 # plays in this terminal (at least 100×32: the wallet's 100×30 and two narration lines); ctrl+c or q stops it
//	go run ./demo -detached -show # narration and screens on stdout; watch with the printed attach command
//	go run ./demo -fast           # no pauses (what the test runs)
//	go run ./demo -standards      # the same payment under two standards: UAE Open Finance, then Fintecture (SCRIPT-STANDARDS.md)
//
// It builds payterm, runs it in a private tmux server with a throwaway home and data dir, and
// types into it with send-keys like a user. TOTP codes are computed from the key shown on the
// enrolment screen, as the audience's authenticator app would. The bank's consent page is
// fetched and approved over HTTP (or, with -browser, in your own browser).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	xterm "golang.org/x/term"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/internal/tmuxterm"
)

// options are the command line.
type options struct {
	fast        bool    // no pauses, no typing pace: for tests and rehearsals
	pace        float64 // multiplies every pause (1 = the three-minute talk)
	detached    bool    // do not attach this terminal; narrate on stdout
	show        bool    // print the screen at every pause (detached)
	autoApprove bool    // the sandbox approves without its page
	browser     bool    // open the bank's page in the presenter's browser and wait for Approve
	bin         string  // a built payterm; "" = go build the module this command lives in
	keep        bool    // keep the throwaway home (config, data dir) afterwards
	standards   bool    // the two-standards journey: a Fintecture hub beside the UAE bank
}

func main() {
	var o options
	flag.BoolVar(&o.fast, "fast", false, "no pauses (rehearsal, tests)")
	flag.Float64Var(&o.pace, "pace", 1, "multiply every pause by this (0.5 = twice as fast)")
	flag.BoolVar(&o.detached, "detached", false, "do not attach this terminal: print narration, and the command to watch")
	flag.BoolVar(&o.show, "show", false, "print the screen at every pause (with -detached or -fast)")
	flag.BoolVar(&o.autoApprove, "auto-approve", false, "let the sandbox approve the consent without its page")
	flag.BoolVar(&o.browser, "browser", false, "open the bank's page in your browser; you press Approve")
	flag.StringVar(&o.bin, "bin", "", "payterm binary to run (default: go build this module)")
	flag.BoolVar(&o.keep, "keep", false, "keep the demo's config and data dir")
	flag.BoolVar(&o.standards, "standards", false, "the same payment under two standards: UAE Open Finance, then a Fintecture hub (SCRIPT-STANDARDS.md)")
	flag.Parse()
	if flag.NArg() > 0 || o.pace <= 0 || (o.browser && o.autoApprove) {
		fmt.Fprintln(os.Stderr, "demo: unexpected arguments (-pace must be > 0; -browser and -auto-approve exclude each other)")
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	err := run(ctx, o, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: %s\n", safetext.Error(err)) // errors may quote the bank
		os.Exit(1)
	}
}

// run plays the whole demo and returns the first thing that went wrong.
func run(ctx context.Context, o options, out io.Writer) error {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		return errors.New("tmux is not installed (Debian: apt-get install tmux)")
	}
	home, err := os.MkdirTemp("", "payterm-demo-")
	if err != nil {
		return fmt.Errorf("demo home: %w", err)
	}
	if o.keep {
		fmt.Fprintf(out, "The demo's config and data dir stay in %s\n", home)
	} else {
		defer os.RemoveAll(home)
	}
	bin := o.bin
	if bin == "" {
		fmt.Fprintln(out, "Building payterm…")
		if bin, err = buildPayterm(ctx, home); err != nil {
			return err
		}
	}
	argv, urlFile, err := prepareHome(home, bin, o)
	if err != nil {
		return err
	}
	tm, err := tmuxterm.Start(ctx, tmuxterm.Options{Tmux: tmux, Socket: filepath.Join(home, "tmux.sock"), Session: "demo"}, argv...)
	if err != nil {
		return err
	}
	defer tm.Close()

	attached := !o.detached && !o.fast && isTerminal(os.Stdout)
	p := &player{tm: tm, out: out, fast: o.fast, pace: o.pace,
		show: o.show, browser: o.browser, urlFile: urlFile, steps: journey(o)}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var viewer chan error
	if attached {
		if w, h, err := xterm.GetSize(int(os.Stdout.Fd())); err == nil && (w < tmuxterm.Width || h < tmuxterm.Height+2) {
			fmt.Fprintf(out, "This terminal is %d×%d; the demo needs %d×%d to be seen whole. Starting in 5 s…\n", w, h, tmuxterm.Width, tmuxterm.Height+2)
			if err := sleep(ctx, 5*time.Second); err != nil {
				return errors.New("stopped before the start")
			}
		}
		p.out, p.narrate = io.Discard, true
		if err := showStatus(tm); err != nil {
			return err
		}
		if viewer, err = attach(tm, cancel); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(out, "Watch it live: tmux -S %s attach -r -t %s\n", tm.Socket(), tm.Session())
	}

	started := time.Now()
	err = playAll(ctx, p)
	if attached {
		title, cue := fmt.Sprintf("Demo over in %s", time.Since(started).Round(time.Second)), "Closing in a few seconds."
		if err != nil {
			title, cue = "The demo stopped", firstLine(err.Error())
		}
		_ = narrate(tm, title, cue)
		_ = p.hold(ctx, 5)
		tm.Close()
		<-viewer
	}
	if stopped(ctx, err) {
		return errors.New("stopped before the end")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nDone in %s.\n", time.Since(started).Round(time.Second))
	return nil
}

// playAll runs every step of the player's journey in order.
func playAll(ctx context.Context, p *player) error {
	for _, s := range p.steps {
		if err := p.announce(s); err != nil {
			return err
		}
		if err := s.play(p, ctx); err != nil {
			return fmt.Errorf("step %q: %w", s.title, err)
		}
	}
	return nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
