package ui_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// scriptedUnlock is a core's UnlockSecrets: it records each passphrase handed over and answers
// with the next of answers once the test lets it (release), as the core answers after argon2id.
type scriptedUnlock struct {
	mu      sync.Mutex
	got     []string
	answers []error
	release chan struct{}
}

func newScriptedUnlock(answers ...error) *scriptedUnlock {
	return &scriptedUnlock{answers: answers, release: make(chan struct{}, len(answers))}
}

func (s *scriptedUnlock) unlock(ctx context.Context, pass []byte) error {
	s.mu.Lock()
	s.got = append(s.got, string(pass))
	err := s.answers[len(s.got)-1]
	s.mu.Unlock()
	select {
	case <-s.release:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *scriptedUnlock) handedOver() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

func startUnlock(t *testing.T, s *scriptedUnlock, opts ...uitest.Option) (*uitest.App, *uifake.FakeWallet) {
	t.Helper()
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	all := append([]uitest.Option{uitest.WithOptions(ui.Options{UnlockSecrets: s.unlock}), uitest.WithClock(clock)}, opts...)
	return uitest.Start(t, fw, all...), fw
}

// TestUnlockScreenComesFirstMaskedAndHandsOver: with a secrets file waiting for its passphrase
// the first frame is the Unlock screen (Home is never drawn before it); what is typed shows as
// one bullet per character (letters that are global keys elsewhere, q ? i, are text here);
// enter hands exactly what was typed to the core and shows Home at once, saying the secrets are
// unlocking while the core has not answered; its answer ends the wait.
func TestUnlockScreenComesFirstMaskedAndHandsOver(t *testing.T) {
	s := newScriptedUnlock(nil)
	app, _ := startUnlock(t, s, uitest.WithEveryFrame())
	app.WaitFor("Passphrase")
	const pass = "q?i correct horse €"
	app.Type(pass)
	app.WaitFor("Passphrase " + strings.Repeat("•", len([]rune(pass))))
	v := app.View()
	for _, w := range []string{"Unlock", "enter unlock", "esc/ctrl+c quit"} {
		if !strings.Contains(v, w) {
			t.Errorf("the Unlock screen lacks %q:\n%s", w, v)
		}
	}
	app.Press("enter")
	app.WaitFor("Recent payments")
	app.WaitForStatus("Unlocking secrets…")
	if got := s.handedOver(); len(got) != 1 || got[0] != pass {
		t.Fatalf("handed over %q, want exactly what was typed", got)
	}
	s.release <- struct{}{}
	app.WaitGone("Unlocking secrets…")
	app.Press("h") // Home's keys work: the Unlock screen is gone for good
	app.WaitFor("History")
	frames := app.Frames()
	for i, f := range frames {
		if strings.Contains(f, "Recent payments") {
			if i == 0 || !strings.Contains(strings.Join(frames[:i], "\n"), "Passphrase") {
				t.Fatal("Home was drawn before the Unlock screen")
			}
			break
		}
	}
	for _, f := range frames {
		if strings.Contains(f, "correct horse") {
			t.Fatalf("the passphrase was drawn:\n%s", f)
		}
	}
}

// TestUnlockRefusedAsksAgainThenEnds: a wrong passphrase brings the Unlock screen back over Home
// with the core's sentence and an empty field; the last refusal (a Problem) ends the program
// with it on the last frame.
func TestUnlockRefusedAsksAgainThenEnds(t *testing.T) {
	last := &ui.Problem{What: "The passphrase of payterm's secrets file was not right 3 times.", Next: "Start payterm again to retry."}
	s := newScriptedUnlock(&ui.PassphraseRefused{TriesLeft: 2}, &ui.PassphraseRefused{TriesLeft: 1}, last)
	app, _ := startUnlock(t, s)
	app.WaitFor("Passphrase")
	app.Type("first wrong one")
	app.Press("enter")
	app.WaitFor("Recent payments")
	s.release <- struct{}{}
	app.WaitFor("That passphrase does not open payterm's secrets file. 2 tries left.")
	if strings.Contains(app.View(), "•") {
		t.Fatalf("the field kept the refused passphrase:\n%s", app.View())
	}
	app.Press("h") // a letter of the next passphrase, not History
	app.WaitFor("Passphrase •")
	app.Press("backspace")
	app.Type("second wrong")
	app.Press("enter")
	s.release <- struct{}{}
	app.WaitFor("That passphrase does not open payterm's secrets file. 1 try left.")
	app.Type("third wrong")
	app.Press("enter")
	s.release <- struct{}{}
	final := app.WaitQuit()
	if !strings.Contains(final, "not right 3 times") {
		t.Fatalf("the last frame does not say why payterm ends:\n%s", final)
	}
	if got := s.handedOver(); len(got) != 3 || got[1] != "second wrong" {
		t.Fatalf("handed over %q", got)
	}
}

// TestUnlockScreenEmptyEnterAndEsc: enter with nothing typed hands nothing over and says what to
// do; esc quits.
func TestUnlockScreenEmptyEnterAndEsc(t *testing.T) {
	s := newScriptedUnlock(nil)
	app, _ := startUnlock(t, s)
	app.WaitFor("Passphrase")
	app.Press("enter")
	app.WaitFor("Type the passphrase of payterm's secrets file, then press enter.")
	if len(s.handedOver()) != 0 {
		t.Fatal("an empty passphrase was handed over")
	}
	app.Press("esc")
	app.WaitQuit()
}

// TestUnlockScreenCtrlCQuits: ctrl+c quits from the Unlock screen too.
func TestUnlockScreenCtrlCQuits(t *testing.T) {
	app, _ := startUnlock(t, newScriptedUnlock(nil))
	app.WaitFor("Passphrase")
	app.Type("abc")
	app.Press("ctrl+c")
	app.WaitQuit()
}

// TestPassphraseRefusedSentence: the sentence for each count of tries left.
func TestPassphraseRefusedSentence(t *testing.T) {
	for n, want := range map[int]string{
		2: "That passphrase does not open payterm's secrets file. 2 tries left.",
		1: "That passphrase does not open payterm's secrets file. 1 try left.",
	} {
		var err error = &ui.PassphraseRefused{TriesLeft: n}
		var r *ui.PassphraseRefused
		if err.Error() != want || !errors.As(err, &r) {
			t.Errorf("%d tries: %q", n, err)
		}
	}
}

// TestUnlockScreenTooSmallTypesNothingBlind: in a terminal below 60×18 the field is not drawn,
// so keys type nothing; once it is large enough the field is empty and takes keys; q in the
// small terminal quits, as its view says.
func TestUnlockScreenTooSmallTypesNothingBlind(t *testing.T) {
	app, _ := startUnlock(t, newScriptedUnlock(nil), uitest.WithSize(50, 15))
	app.WaitFor("Terminal too small")
	app.Type("abc")
	app.Resize(100, 40)
	app.WaitFor("Passphrase")
	if strings.Contains(app.View(), "•") {
		t.Fatalf("keys typed in the too-small terminal reached the field:\n%s", app.View())
	}
	app.Type("x")
	app.WaitFor("Passphrase •")
	app.Resize(50, 15)
	app.WaitFor("Terminal too small")
	app.Press("q")
	app.WaitQuit()
}
