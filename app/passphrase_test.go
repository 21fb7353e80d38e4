package app

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/ui"
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
		{"an arrow key typed into it, then good", true, []string{"correct\x1b[Dhorse", good, good}, good, "holds a control character"},
		{"a tab, then good", true, []string{"correct\thorse battery", good, good}, good, "holds a control character"},
		{"not UTF-8, then good", true, []string{"correct horse \xff\xfe", good, good}, good, "bytes that are not text"},
		{"DEL, then good", true, []string{"correct horse\x7f battery", good, good}, good, "holds a control character"},
		{"unlock takes any bytes (a file chosen before the rule)", false, []string{"old\x01pass"}, "old\x01pass", "Passphrase of"},
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

// TestWrongPassphraseIsAskedAgain: a mistyped passphrase does not end the start: it is asked
// again, each refusal said with the tries left, and the right one opens the wallet; three wrong
// ones end it.
func TestWrongPassphraseIsAskedAgain(t *testing.T) {
	clock := newSCAClock()
	cfg := testConfig(t)
	a := openApp(t, cfg, clock)
	onboard(t, a.UIWallet(), clock, twoPayees()[:1])
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	right := []byte(testPassphrase)

	opts := testOptions(clock)
	typed := [][]byte{[]byte("a typo passphrase"), []byte("another typo!"), right}
	asked := 0
	opts.Passphrase = func(bool) ([]byte, error) {
		p := append([]byte(nil), typed[asked]...)
		asked++
		return p, nil
	}
	var refused []int
	opts.PassphraseRefused = func(left int) { refused = append(refused, left) }
	b, err := Open(t.Context(), cfg, opts)
	if err != nil {
		t.Fatalf("the right passphrase at the third try: %v", err)
	}
	if ov, err := b.UIWallet().Overview(t.Context()); err != nil || ov.Active == nil {
		t.Fatalf("opened at the third try: %+v, %v", ov, err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if asked != 3 || len(refused) != 2 || refused[0] != 2 || refused[1] != 1 {
		t.Fatalf("asked %d times, refusals said %v; want 3 and [2 1]", asked, refused)
	}

	asked, refused = 0, nil
	typed = [][]byte{[]byte("wrong one 1"), []byte("wrong one 2"), []byte("wrong one 3"), right}
	_, err = Open(t.Context(), cfg, opts)
	var p *ui.Problem
	if !errors.Is(err, keystore.ErrWrongPassphrase) || !errors.As(err, &p) || !strings.Contains(p.What, "not right 3 times") {
		t.Fatalf("three wrong passphrases: %v", err)
	}
	if asked != 3 || len(refused) != 2 {
		t.Fatalf("three wrong passphrases: asked %d times, refusals %v; want 3 asks, 2 refusals said", asked, refused)
	}
	if got := passphraseRefused(1); got != "That passphrase does not open payterm's secrets file. 1 try left." {
		t.Fatalf("passphraseRefused(1) = %q", got)
	}
}
