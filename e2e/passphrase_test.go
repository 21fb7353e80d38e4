package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestJourneyFilePassphrase runs the real binary with the encrypted-file secret store and
// file_store_passphrase on, in a real terminal: the first start asks to choose a passphrase
// (refusing a short one) before the first frame; the next start asks for it, a wrong one is
// asked again with the tries left, the third wrong one stops payterm with the reason, and the
// right one opens the wallet. Nothing typed is echoed, and the file on disk records that it
// needs a passphrase.
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

	tm = w.start()
	tm.WaitFor("Passphrase of payterm's secrets file:", 30*time.Second)
	tm.Type("not the passphrase at all")
	tm.Press("Enter")
	tm.WaitFor("2 tries left", 30*time.Second)
	tm.Type("still not the passphrase")
	tm.Press("Enter")
	tm.WaitFor("1 try left", 30*time.Second)
	tm.Type("wrong for the third time")
	tm.Press("Enter")
	if code := tm.WaitExit(60 * time.Second); code == 0 {
		t.Fatalf("a wrong passphrase opened the wallet:\n%s", tm.Screen())
	}
	if s := tm.Screen(); !strings.Contains(s, "passphrase") {
		t.Fatalf("a wrong passphrase is not explained:\n%s", s)
	}

	tm = w.start()
	tm.WaitFor("Passphrase of payterm's secrets file:", 30*time.Second)
	tm.Type(pass)
	tm.Press("Enter")
	tm.WaitFor("Welcome to payterm", 60*time.Second)
	if strings.Contains(tm.Transcript(), pass) {
		t.Fatal("the passphrase was echoed on the terminal")
	}
}
