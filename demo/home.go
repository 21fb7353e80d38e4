package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// moduleRoot finds the payterm module (the directory holding its go.mod) from the working
// directory upwards: `go run ./demo` runs from the repository.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for {
		mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(mod), "module github.com/payterm/payterm\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run the demo from inside the payterm repository, or pass -bin")
		}
		dir = parent
	}
}

// buildPayterm builds the wallet into dir and returns the binary's path.
func buildPayterm(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "payterm")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build payterm: %w\n%s", err, out)
	}
	return bin, nil
}

// demoConfig is the config.toml of the demo: the embedded sandbox (the default), settling
// quickly, and the encrypted-file secret store so the demo never writes to the presenter's
// OS keyring.
func demoConfig(dataDir string, o options) string {
	settle, credit := "2s", "4s"
	if o.fast {
		settle, credit = "1s", "2s"
	}
	// No passphrase on that throwaway file: a prompt before the first frame would break the
	// scripted run (the wallet asks for one when file_store_passphrase is on, the default).
	cfg := fmt.Sprintf("data_dir = %s\n\n[sandbox]\nauto_approve = %t\nsettle_after = %q\ncredit_after = %q\n\n[security]\nsecret_store = \"file\"\nfile_store_passphrase = false\n",
		strconv.Quote(dataDir), o.autoApprove, settle, credit)
	if o.standards {
		cfg += ftBankTOML
	}
	return cfg
}

// ftBankTOML is the two-standards mode's second bank: payterm's embedded strict Fintecture hub
// (README "A Fintecture bank"), paying in EUR from a public example French account.
const ftBankTOML = "\n[[banks]]\nid = \"fin\"\nname = \"Fintecture Test Hub\"\nprovider = \"fintecture\"\n" +
	"account = \"FR76 3000 6000 0112 3456 7890 189\"\naccount_holder = \"Camille Martin\"\ncurrency = \"EUR\"\n" +
	"payer_email = \"camille@example.org\"\n"

// prepareHome writes the demo's config and, unless the presenter's browser is used, an
// xdg-open stand-in that records the address payterm asks to open. It returns the command the
// tmux pane runs (a clean environment: the presenter's own payterm config and keyring are not
// touched) and the file the stand-in writes.
func prepareHome(home, bin string, o options) (argv []string, urlFile string, err error) {
	dataDir := filepath.Join(home, "data")
	cfg := filepath.Join(home, "config.toml")
	if err := os.WriteFile(cfg, []byte(demoConfig(dataDir, o)), 0o600); err != nil {
		return nil, "", fmt.Errorf("write the demo config: %w", err)
	}
	urlFile = filepath.Join(home, "opened-urls")
	shimDir := filepath.Join(home, "bin")
	if err := os.MkdirAll(shimDir, 0o700); err != nil {
		return nil, "", fmt.Errorf("demo bin dir: %w", err)
	}
	shim := "#!/bin/sh\nprintf '%s\\n' \"$1\" >> " + shellQuote(urlFile) + "\n"
	if err := os.WriteFile(filepath.Join(shimDir, "xdg-open"), []byte(shim), 0o700); err != nil {
		return nil, "", fmt.Errorf("write the xdg-open stand-in: %w", err)
	}
	path := shimDir + ":/usr/local/bin:/usr/bin:/bin"
	env := []string{
		"HOME=" + home,
		"LANG=C.UTF-8",
		"TERM=tmux-256color",
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"),
	}
	if o.browser {
		// The real xdg-open needs the desktop session's variables.
		path = os.Getenv("PATH")
		for _, k := range []string{"DISPLAY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS", "BROWSER"} {
			if v, ok := os.LookupEnv(k); ok {
				env = append(env, k+"="+v)
			}
		}
	}
	if v := os.Getenv("COLORTERM"); v != "" {
		env = append(env, "COLORTERM="+v)
	}
	env = append(env, "PATH="+path)
	argv = append([]string{"env", "-i"}, env...)
	argv = append(argv, bin, "--config", cfg, "--data-dir", dataDir)
	return argv, urlFile, nil
}

// shellQuote quotes s for /bin/sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
