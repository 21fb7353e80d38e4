package e2e

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestJourneyFilePassphrase runs the real binary with the encrypted-file secret store and
// file_store_passphrase on, in a real terminal: the first start asks to choose a passphrase
// (refusing a short one) on the terminal before the first frame; the next starts draw the
// Unlock screen at once (no terminal prompt) and the passphrase is typed there: a wrong one
// brings the screen back with the tries left, the third wrong one stops payterm with the
// reason, and the right one opens the wallet. Nothing typed is echoed (the screen shows one
// bullet per character), the file on disk records that it needs a passphrase, and no
// passphrase typed appears in any file payterm wrote.
func TestJourneyFilePassphrase(t *testing.T) {
	t.Parallel()
	needTool(t, "tmux", "apt-get install tmux")
	const pass = "tmux journey passphrase"
	w := newWalletEnv(t, walletConfig{FilePassphrase: pass})

	tm := w.start()
	tm.WaitFor("Choose a passphrase", 60*time.Second)
	tm.WaitFor("New passphrase:", 10*time.Second)
	tm.Type("short")
	tm.Press("Enter")
	tm.WaitFor("use at least 10", 10*time.Second)
	tm.Type(pass)
	tm.Press("Enter")
	tm.WaitFor("Type it again:", 10*time.Second)
	tm.Type(pass)
	tm.Press("Enter")
	tm.WaitFor("Welcome to payterm", 60*time.Second)
	if strings.Contains(tm.Transcript(), pass) {
		t.Fatal("the passphrase was echoed on the terminal")
	}
	tm.Press("C-c")
	tm.WaitExit(20 * time.Second)

	var env struct {
		Header struct {
			Passphrase bool `json:"passphrase"`
		} `json:"header"`
	}
	raw, err := os.ReadFile(filepath.Join(w.dataDir, "secrets.enc"))
	if err != nil || json.Unmarshal(raw, &env) != nil || !env.Header.Passphrase {
		t.Fatalf("secrets.enc does not record a passphrase: %v", err)
	}

	wrongs := []string{"not the passphrase at all", "still not the passphrase", "wrong for the third time"}
	tm = w.start()
	tm.WaitFor("Type it and press enter", 30*time.Second)
	if strings.Contains(tm.Transcript(), "Passphrase of payterm's secrets file:") {
		t.Fatal("the passphrase was asked on the terminal before the first frame")
	}
	tm.Type(wrongs[0])
	tm.WaitFor("Passphrase "+strings.Repeat("•", len(wrongs[0])), 10*time.Second)
	tm.Press("Enter")
	tm.WaitFor("2 tries left", 30*time.Second)
	tm.Type(wrongs[1])
	tm.Press("Enter")
	tm.WaitFor("1 try left", 30*time.Second)
	tm.Type(wrongs[2])
	tm.Press("Enter")
	if code := tm.WaitExit(60 * time.Second); code == 0 {
		t.Fatalf("a wrong passphrase opened the wallet:\n%s", tm.Screen())
	}
	if s := tm.Transcript(); !strings.Contains(s, "not right 3 times") {
		t.Fatalf("a wrong passphrase is not explained:\n%s", s)
	}

	tm = w.start()
	tm.WaitFor("Type it and press enter", 30*time.Second)
	tm.Type(pass)
	tm.Press("Enter")
	tm.WaitFor("Welcome to payterm", 60*time.Second)
	if strings.Contains(tm.Transcript(), pass) {
		t.Fatal("the passphrase was echoed on the terminal")
	}
	tm.Press("C-c")
	tm.WaitExit(20 * time.Second)

	// The grep: nothing payterm wrote under its HOME (data dir, config, anything else) holds a
	// passphrase typed in this journey.
	err = filepath.WalkDir(w.homeDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, p := range append([]string{pass}, wrongs...) {
			if bytes.Contains(raw, []byte(p)) {
				t.Errorf("%s holds a passphrase typed (%d bytes)", strings.TrimPrefix(path, w.homeDir), len(p))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
