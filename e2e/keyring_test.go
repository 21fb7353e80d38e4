package e2e

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// secretService is a private D-Bus session bus with an unlocked gnome-keyring behind it, so a
// journey can use a real Secret Service without touching the user's own keyring.
type secretService struct {
	// Env is what a process needs to reach this bus (and the keyring's own HOME).
	Env []string
}

// startSecretService starts dbus-daemon --session and gnome-keyring-daemon (secrets component,
// login keyring unlocked with a throwaway password) with HOME in a temp dir. Both stop with the
// test. It skips (fails under PAYTERM_REQUIRE_E2E=1) without dbus-daemon, gnome-keyring or
// secret-tool.
func startSecretService(t testing.TB) *secretService {
	t.Helper()
	dbus := needTool(t, "dbus-daemon", "apt-get install dbus")
	gk := needTool(t, "gnome-keyring-daemon", "apt-get install gnome-keyring")
	needTool(t, "secret-tool", "apt-get install libsecret-tools")
	home := privateDir(t, "keyring-home")
	base := []string{"HOME=" + home, "XDG_DATA_HOME=" + home + "/.local/share", "XDG_RUNTIME_DIR=" + privateDir(t, "runtime"),
		"PATH=/usr/local/bin:/usr/bin:/bin"}

	out, err := exec.Command(dbus, "--session", "--fork", "--nopidfile", "--print-address=1", "--print-pid=1").Output()
	if err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		t.Fatalf("dbus-daemon printed %q", out)
	}
	addr := lines[0]
	busPID, err := strconv.Atoi(strings.TrimSpace(lines[1]))
	if err != nil || busPID <= 1 {
		t.Fatalf("dbus-daemon pid %q", lines[1])
	}
	t.Cleanup(func() { _ = syscall.Kill(busPID, syscall.SIGTERM) })
	env := append(base, "DBUS_SESSION_BUS_ADDRESS="+addr)

	kr := exec.Command(gk, "--foreground", "--unlock", "--components=secrets")
	kr.Env = env
	kr.Stdin = strings.NewReader("e2e-keyring-password")
	var krOut bytes.Buffer
	kr.Stdout, kr.Stderr = &krOut, &krOut
	if err := kr.Start(); err != nil {
		t.Fatalf("start gnome-keyring-daemon: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = kr.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = kr.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = kr.Process.Kill()
			<-done
		}
	})
	s := &secretService{Env: env}
	// Wait until this daemon owns org.freedesktop.secrets before any client call: a call made
	// earlier would D-Bus-activate a second, locked keyring daemon that takes the name.
	dbusSend := needTool(t, "dbus-send", "apt-get install dbus")
	deadline := time.Now().Add(patience(15 * time.Second))
	for {
		q := exec.Command(dbusSend, "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
			"org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets")
		q.Env = env
		if out, err := q.Output(); err == nil && strings.Contains(string(out), "boolean true") {
			break
		}
		select {
		case <-done:
			t.Fatalf("gnome-keyring-daemon exited: %s", krOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("Secret Service not on the bus after 15s: %s", krOut.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// And a store round-trip works (the login collection is unlocked).
	store := exec.Command("secret-tool", "store", "--label=e2e probe", "service", "payterm-e2e-probe", "username", "probe")
	store.Env = env
	store.Stdin = strings.NewReader("probe")
	if out, err := store.CombinedOutput(); err != nil {
		t.Fatalf("Secret Service refuses a store: %v %s", err, out)
	}
	return s
}

// keyringItem is one item secret-tool found.
type keyringItem struct {
	Attrs  map[string]string
	Secret string
}

// search lists every item whose attribute attr equals value, with its secret. secret-tool
// search --all prints each item's "[/path]", label and secret on stdout and its attributes on
// stderr, both in item order; the two streams are paired by position.
func (s *secretService) search(t testing.TB, attr, value string) []keyringItem {
	t.Helper()
	cmd := exec.Command("secret-tool", "search", "--all", "--unlock", attr, value)
	cmd.Env = s.Env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if stdout.Len() == 0 { // exit 1 with no output: nothing matched
			return nil
		}
		t.Fatalf("secret-tool search: %v: %s", err, firstLine(stderr.String()))
	}
	items, err := parseSecretToolSearch(stdout.Bytes(), stderr.Bytes())
	if err != nil {
		t.Fatalf("secret-tool search: %v", err)
	}
	return items
}

// parseSecretToolSearch pairs secret-tool's stdout blocks ("[/path]", "label = …",
// "secret = …") with its stderr attribute blocks ("attribute.k = v"; a repeated key starts the
// next item's block).
func parseSecretToolSearch(stdout, stderr []byte) ([]keyringItem, error) {
	var items []keyringItem
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "[") {
			items = append(items, keyringItem{Attrs: map[string]string{}})
			continue
		}
		if k, v, ok := strings.Cut(line, " = "); ok && k == "secret" && len(items) > 0 {
			items[len(items)-1].Secret = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var blocks []map[string]string
	sc = bufio.NewScanner(bytes.NewReader(stderr))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " = ")
		name, isAttr := strings.CutPrefix(k, "attribute.")
		if !ok || !isAttr {
			continue
		}
		if len(blocks) == 0 {
			blocks = append(blocks, map[string]string{})
		}
		if _, seen := blocks[len(blocks)-1][name]; seen {
			blocks = append(blocks, map[string]string{})
		}
		blocks[len(blocks)-1][name] = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(blocks) != len(items) {
		return nil, fmt.Errorf("%d items but %d attribute blocks", len(items), len(blocks))
	}
	for i := range items {
		items[i].Attrs = blocks[i]
	}
	return items, nil
}

// payterm keystore entries are "ptks1:i:<sum>:<base64 value>" for values that fit one entry.
func decodeInlineKeystoreValue(s string) ([]byte, bool) {
	rest, ok := strings.CutPrefix(s, "ptks1:i:")
	if !ok {
		return nil, false
	}
	_, data, ok := strings.Cut(rest, ":")
	if !ok {
		return nil, false
	}
	if strings.ContainsAny(data, "\r\n") { // the decoder would skip them; an entry never has them
		return nil, false
	}
	v, err := base64.StdEncoding.Strict().DecodeString(data)
	return v, err == nil
}
