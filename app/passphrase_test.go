package app

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/payterm/payterm/keystore"
)

// typed plays the keyboard: each read returns the next line.
func typed(lines ...string) func() ([]byte, error) {
	return func() ([]byte, error) {
		if len(lines) == 0 {
			return nil, errors.New("no more input")
		}
		l := lines[0]
		lines = lines[1:]
		return []byte(l), nil
	}
}

func TestAskPassphrase(t *testing.T) {
	const good = "correct horse battery"
	cases := []struct {
		name   string
		choose bool
		lines  []string
		want   string // "" = refused
		says   string
	}{
		{"unlock asks once", false, []string{"anything"}, "anything", "Passphrase of"},
		{"choose twice the same", true, []string{good, good}, good, "at least 10 characters"},
		{"too short, then good", true, []string{"short", good, good}, good, "That is 5 characters"},
		{"mismatch, then good", true, []string{good, good + "!", good, good}, good, "did not match"},
		{"counts letters, not bytes", true, []string{"كلمةسرقصير", "كلمةسرقصير"}, "كلمةسرقصير", ""},
		{"three failures", true, []string{"a", "b", "c"}, "", "That is 1 characters"},
		{"input ends", true, []string{good}, "", "Type it again"},
	}
	for _, c := range cases {
		var out bytes.Buffer
		got, err := askPassphrase(&out, typed(c.lines...), c.choose)
		if (err == nil) != (c.want != "") || string(got) != c.want {
			t.Errorf("%s: got %q, %v", c.name, got, err)
		}
		if !strings.Contains(out.String(), c.says) {
			t.Errorf("%s: the dialogue never said %q:\n%s", c.name, c.says, out.String())
		}
		for _, l := range c.lines {
			if len(l) > 3 && strings.Contains(out.String(), l) {
				t.Errorf("%s: the dialogue echoed what was typed", c.name)
			}
		}
	}
}

// TestSecretsFileNeedsThePassphrase: with the file store (no keyring) the wallet's secrets open
// only with the passphrase chosen at the first start; without a way to ask, or with another
// passphrase, the wallet does not open and says why.
func TestSecretsFileNeedsThePassphrase(t *testing.T) {
	clock := newSCAClock()
	cfg := testConfig(t)
	a := openApp(t, cfg, clock)
	onboard(t, a.UIWallet(), clock, twoPayees()[:1])
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	opts := testOptions(clock)
	opts.Passphrase = nil
	if _, err := Open(t.Context(), cfg, opts); !errors.Is(err, keystore.ErrPassphraseNeeded) {
		t.Fatalf("opened without a way to ask: %v", err)
	}
	opts.Passphrase = func(bool) ([]byte, error) { return []byte("another passphrase"), nil }
	if _, err := Open(t.Context(), cfg, opts); !errors.Is(err, keystore.ErrCorrupt) {
		t.Fatalf("opened with another passphrase: %v", err)
	}
	b := openApp(t, cfg, clock)
	defer b.Close()
	if ov, err := b.UIWallet().Overview(t.Context()); err != nil || ov.Active == nil {
		t.Fatalf("with the passphrase: %+v, %v", ov, err)
	}
}
