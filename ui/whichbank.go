package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/payterm/payterm/internal/safetext"
)

// The "Which bank?" step: the first step of the consent part of onboarding and of the
// new-consent flow when the configuration names more than one bank. With one bank it is never
// drawn; the plan simply names that bank.

var (
	keyJumpBank   = key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7", "8", "9"), key.WithHelp("1–9", "jump to that bank"))
	keyChooseBank = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose this bank"))
	keyRetryBanks = key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "try again"))
)

// maxQueuedKeys bounds the keys kept while the bank list loads (a paste cannot grow memory).
const maxQueuedKeys = 256

type banksLoadedMsg struct {
	req   int
	banks []BankOption
	err   error
}

// loadBanks asks the core which banks a consent can be set up with. It runs when the wizard
// opens, so the list is usually there before the step that needs it.
func (s *onboardingScreen) loadBanks() tea.Cmd {
	s.banksLoading, s.banksErr = true, ""
	s.banksReq = s.c.nextReq()
	req, ctx, w := s.banksReq, s.c.ctx, s.c.w
	return func() tea.Msg {
		bs, err := w.Banks(ctx)
		if err == nil {
			err = checkBanks(bs)
		}
		return banksLoadedMsg{req: req, banks: bs, err: err}
	}
}

// checkBanks refuses a list the wizard cannot offer: none at all, or ids that do not tell the
// banks apart (the plan names the chosen bank by id; "" stands for the first bank only).
func checkBanks(bs []BankOption) error {
	if len(bs) == 0 {
		return &Problem{What: "payterm has no bank to give a consent at.", Next: "Add a bank to payterm's configuration, then start payterm again."}
	}
	seen := map[string]bool{}
	for i, b := range bs {
		if (b.ID == "" && i > 0) || seen[b.ID] {
			return &Problem{What: "payterm's configuration does not give each bank its own id.", Next: "Give every bank a unique id, then start payterm again."}
		}
		seen[b.ID] = true
	}
	return nil
}

// multiBank reports whether the user chooses a bank (known only once Banks answered).
func (s *onboardingScreen) multiBank() bool { return len(s.banks) > 1 }

func (s *onboardingScreen) onBanks(m banksLoadedMsg) tea.Cmd {
	if m.req != s.banksReq {
		return nil
	}
	s.banksLoading = false
	if m.err != nil {
		s.banksErr = explain(m.err)
		return nil
	}
	s.banks = m.banks
	s.pick = 0
	if s.step != obWhichBank {
		return nil
	}
	s.settleWhichBank()
	// Keys typed while the list loaded were meant for the payees form: with one bank they land
	// there. With several they are dropped: an enter typed ahead must not choose a bank the
	// user has not seen.
	queued := s.queued
	s.queued = nil
	if s.step != obPayees {
		return nil
	}
	var cmds []tea.Cmd
	for _, k := range queued {
		cmds = append(cmds, s.onKey(k))
	}
	return tea.Batch(cmds...)
}

// enterWhichBank starts the consent part: the list when there is a choice, the payees when not.
func (s *onboardingScreen) enterWhichBank() tea.Cmd {
	s.step = obWhichBank
	if s.banks == nil && !s.banksLoading {
		// The list failed to load when the wizard opened (or never did): ask again now.
		return s.loadBanks()
	}
	s.settleWhichBank()
	return nil
}

// settleWhichBank skips the step when there is nothing to choose.
func (s *onboardingScreen) settleWhichBank() {
	if s.step == obWhichBank && len(s.banks) == 1 {
		s.bankID = s.banks[0].ID
		s.step = obPayees
	}
}

// whichBankLoading is true while the step waits for the list: keys are kept for what follows.
func (s *onboardingScreen) whichBankLoading() bool {
	return s.step == obWhichBank && s.banks == nil && s.banksLoading
}

func (s *onboardingScreen) whichBankKey(msg tea.KeyMsg) tea.Cmd {
	leave := func() tea.Cmd {
		if s.again {
			return s.c.back() // nothing staged yet: leaving loses nothing the bank has
		}
		return nil // onboarding: the authenticator is enrolled, there is no step to go back to
	}
	switch {
	case s.whichBankLoading():
		if msg.Type == tea.KeyEsc {
			s.queued = nil
			return leave()
		}
		if len(s.queued) < maxQueuedKeys {
			s.queued = append(s.queued, msg)
		}
		return nil
	case s.banks == nil:
		// The list could not be loaded: r asks again; keys typed before stay queued.
		switch {
		case key.Matches(msg, keyRetryBanks):
			return s.loadBanks()
		case key.Matches(msg, keyBack):
			s.queued = nil
			return leave()
		}
		return nil
	}
	if pick, moved := movePick(msg, keyJumpBank, s.pick, len(s.banks)); moved {
		s.pick = pick
		return nil
	}
	switch {
	case key.Matches(msg, keyChooseBank):
		s.bankID = s.banks[s.pick].ID
		s.err = ""
		s.step = obPayees
	case key.Matches(msg, keyBack):
		return leave()
	}
	return nil
}

func (s *onboardingScreen) whichBankHelp() []key.Binding {
	var ks []key.Binding
	switch {
	case s.whichBankLoading():
	case s.banks == nil:
		ks = append(ks, keyRetryBanks)
	default:
		ks = append(ks, keyUp, keyDown, keyJumpBank, keyChooseBank)
	}
	if s.again {
		ks = append(ks, keyBack)
	}
	return ks
}

func (s *onboardingScreen) whichBankView() string {
	st := s.c.st
	switch {
	case s.whichBankLoading():
		return st.Muted.Render("Loading your banks…")
	case s.banks == nil:
		back := ""
		if s.again {
			back = "   esc: back"
		}
		return st.Error.Render(s.banksErr) + "\n" + st.Muted.Render("r: try again"+back)
	}
	var b strings.Builder
	b.WriteString(st.Title.Render("Which bank?") + "\n\n")
	b.WriteString("The consent is given at one bank: payterm pays from your account there. " +
		"For another bank, give another consent later.\n\n")
	const below = "\nPress enter to choose; ↑/↓ or a number move to another bank."
	// The list scrolls with the cursor when the screen is too short for all of it: the header
	// (wrapped), the sentence below and a line each for "above"/"more" stay on screen.
	used := strings.Count(wrapLines(b.String(), s.w), "\n") + strings.Count(wrapLines(below, s.w), "\n") + 1
	first, rows := 0, len(s.banks)
	if s.h > 0 {
		first, rows = scrollWindow(len(s.banks), s.pick, s.h-used, 1)
	}
	if first > 0 {
		b.WriteString(st.Muted.Render(fmt.Sprintf("  ↑ %s above", count(first, "bank", "banks"))) + "\n")
	}
	numW := len(fmt.Sprint(len(s.banks)))
	for i := first; i < first+rows && i < len(s.banks); i++ {
		b.WriteString(s.bankRow(i, numW) + "\n")
	}
	if rest := len(s.banks) - first - rows; rest > 0 {
		b.WriteString(st.Muted.Render("  ↓ "+count(rest, "more bank", "more banks")) + "\n")
	}
	b.WriteString(below)
	return b.String()
}

// bankRow is "> 2. Name  sandbox": the name cut with an ellipsis so the row is one line.
func (s *onboardingScreen) bankRow(i, numW int) string {
	st := s.c.st
	bk := s.banks[i]
	selected := i == s.pick
	prefix := "  "
	if selected {
		prefix = "> "
	}
	num := fmt.Sprintf("%*d. ", numW, i+1)
	tag, tagW := "", 0
	if bk.Sandbox {
		tag = "  sandbox"
		if st.accessible {
			tag = "  (sandbox)"
		}
		tagW = displayWidth(tag)
		tag = st.Muted.Render(tag)
	}
	mark := ""
	if selected && st.accessible {
		mark = " (selected)"
	}
	// Banks under different standards or in different currencies say which, so the choice is an
	// informed one ("Berlin Group NextGenPSD2, EUR"); with the banks alike nothing is added.
	if terms := banksTermsTag(s.banks, i); terms != "" {
		if s.w > 0 && s.w-displayWidth(prefix+num)-tagW-len(mark)-displayWidth(terms) < 28 {
			terms = "  " + currencyCode(bk.Terms.resolved().Currency) // a narrow terminal: the currency alone
		}
		tagW += displayWidth(terms)
		tag = st.Muted.Render(terms) + tag
	}
	nameW := s.w - displayWidth(prefix+num) - tagW - len(mark)
	if s.w <= 0 {
		nameW = 1 << 10
	}
	label := bankLabel(bk)
	for j, o := range s.banks {
		if j != i && bankLabel(o) == label {
			label += " (" + plainName(bk.ID) + ")" // two banks with one name: the ids tell them apart
			break
		}
	}
	name := truncate(label, max(4, nameW))
	if selected && !st.accessible {
		return st.Selected.Render(prefix+num+name) + tag
	}
	return prefix + num + name + tag + mark
}

// banksTermsTag is "  <standard>, <currency>" for bank i when the banks differ in standard or
// currency, else "".
func banksTermsTag(banks []BankOption, i int) string {
	key := func(b BankOption) string {
		t := b.Terms.resolved()
		return t.Standard + "\x00" + currencyCode(t.Currency)
	}
	for _, b := range banks {
		if key(b) != key(banks[0]) {
			t := banks[i].Terms.resolved()
			return "  " + plainName(t.Standard) + ", " + currencyCode(t.Currency)
		}
	}
	return ""
}

// bankLabel is the bank's name as the screens print it (its id when the name is empty).
func bankLabel(b BankOption) string {
	if n := plainName(b.Name); n != "" {
		return n
	}
	return plainName(b.ID)
}

// plainName is a name from the configuration or the core as one row shows it: cleaned
// (safetext.Line: a control character or bidi override shows as U+FFFD, it can neither move the
// cursor, break the row nor reverse it), and without spaces at either end.
func plainName(s string) string {
	return strings.TrimSpace(safetext.Line(s))
}

// chosenBankName is the name of the bank the plan names ("" before one is chosen).
func (s *onboardingScreen) chosenBankName() string {
	for _, b := range s.banks {
		if b.ID == s.bankID {
			return bankLabel(b)
		}
	}
	return ""
}
