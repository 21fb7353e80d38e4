package ui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

type obStep int

const (
	obIntro obStep = iota
	obPIN
	obTOTP
	obWhichBank // drawn only when the configuration names more than one bank
	obPayees
	obConsent
	obBank
	obDone

	// Loads that are not steps of their own; they only fill in a step's data.
	obLoadEnrolment obStep = 100
	obLoadTerms     obStep = 101
)

var (
	keyModel     = key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("←/→", "payees model / payee type"))
	keyAddPayee  = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "add payee (continue if the form is empty)"))
	keyDropPayee = key.NewBinding(key.WithKeys("ctrl+x"), key.WithHelp("ctrl+x", "remove last payee"))
)

// onboardingScreen is the first-run wizard: what delegated SCA means, PIN, TOTP enrolment,
// which bank (when there is a choice), payees and beneficiary model, debtor account, the
// consent page, the bank step, the result.
type onboardingScreen struct {
	c    *common
	w, h int
	step obStep
	req  int
	busy bool
	err  string

	pin1, pin2 *field
	pinFocus   int

	enrol    *TOTPEnrolment
	code     *field
	recovery *Secret // shown once after the TOTP is confirmed, until the user presses enter

	model        BeneficiaryModel
	pName, pIBAN *field
	pType        PayeeType
	// debtor and debtorName are the optional account to pay from and its holder's name: the bank
	// refuses the account without the name, so both are given or neither.
	debtor, debtorName *field
	pFocus             int
	payees             []PayeeDraft

	terms *ConsentTerms
	// enterEarly is a key pressed before what it answers was on screen: an enter on the
	// consent page before its terms (it agrees to nothing: the payer must see what they
	// consent to), or a digit or enter on the enrolment step before its key. The page says so.
	enterEarly bool
	bank       *bankFlow

	// banks is what Banks answered (nil until it has); banksErr is why it could not, shown on
	// the "Which bank?" step with r to try again. pick is that list's cursor, bankID the chosen
	// BankOption.ID that goes into the plan. queued holds keys typed while the list loads.
	banks        []BankOption
	banksReq     int
	banksLoading bool
	banksErr     string
	pick         int
	bankID       string
	queued       []tea.KeyMsg

	// again is a new consent on an enrolled wallet (after one was revoked, expired or
	// rejected): the same which bank → payees → consent page → bank steps, without PIN and
	// authenticator.
	again bool
}

type (
	obDoneMsg struct {
		req      int
		step     obStep
		enrol    *TOTPEnrolment
		recovery *Secret
		terms    *ConsentTerms
		bank     *BankStep
		err      error
	}
)

func newOnboarding(c *common) *onboardingScreen {
	s := &onboardingScreen{c: c, model: BeneficiaryList, pType: PayeeRetail}
	s.pin1 = newField("PIN")
	s.pin2 = newField("Again")
	for _, f := range []*field{s.pin1, s.pin2} {
		f.masked, f.accept, f.limit = true, digitsOnly, 12
	}
	s.code = newField("First code")
	s.code.masked, s.code.accept, s.code.limit = true, digitsOnly, 8
	s.pName = newField("Payee name")
	s.pName.limit = 70
	s.pIBAN = newField("IBAN")
	s.pIBAN.limit = 34
	s.pIBAN.hint = "AE.. (23 characters)"
	s.debtor = newField("Your account")
	s.debtor.limit = 34
	s.debtor.hint = "optional IBAN to pay from"
	s.debtorName = newField("Account name")
	s.debtorName.limit = 70
	s.debtorName.hint = "the holder's name, as your bank knows it"
	return s
}

// newConsentFlow is the wizard's consent part for a wallet that is already set up: which bank
// (when there is a choice), payees, the consent page, the bank step.
func newConsentFlow(c *common) *onboardingScreen {
	s := newOnboarding(c)
	s.again, s.step = true, obWhichBank
	return s
}

// Init loads the bank list at once, so "Which bank?" (or skipping it) needs no wait later.
func (s *onboardingScreen) Init() tea.Cmd { return s.loadBanks() }

func (s *onboardingScreen) SetSize(w, h int) { s.w, s.h = w, h; s.bankSize() }

func (s *onboardingScreen) bankSize() {
	if s.bank != nil {
		s.bank.SetSize(s.w, max(0, s.h-2))
	}
}

func (s *onboardingScreen) Title() string {
	n, total := s.stepNumber()
	switch {
	case s.again && s.step == obDone:
		return "New consent"
	case s.again:
		return fmt.Sprintf("New consent · step %d of %d", n, total)
	case s.step == obDone:
		return "Welcome"
	}
	return fmt.Sprintf("Set up · step %d of %d", n, total)
}

// stepNumber counts only the steps this run shows: "Which bank?" only with several banks (while
// the list loads, the step carries the number of the payees step that usually follows).
func (s *onboardingScreen) stepNumber() (n, total int) {
	steps := []obStep{obIntro, obPIN, obTOTP, obWhichBank, obPayees, obConsent, obBank}
	if s.again {
		steps = steps[3:]
	}
	for _, st := range steps {
		if st == obWhichBank && !s.multiBank() {
			continue
		}
		total++
		if st < s.step {
			n++
		}
	}
	return n + 1, total
}

func (s *onboardingScreen) Typing() bool {
	switch s.step {
	case obPIN, obTOTP, obPayees:
		return true
	case obWhichBank:
		// While the list loads, keys are kept for the payees form that usually follows.
		return s.whichBankLoading()
	case obBank:
		return s.bank != nil && s.bank.Typing()
	}
	return false
}

func (s *onboardingScreen) Busy() bool { return false }

// Inline passes on the bank step's "address alone" view.
func (s *onboardingScreen) Inline() bool {
	return s.step == obBank && s.bank != nil && s.bank.Inline()
}

func (s *onboardingScreen) ShortHelp() []key.Binding {
	switch s.step {
	case obPIN:
		return []key.Binding{keyNextFld, keySubmit, keyBack}
	case obTOTP:
		return []key.Binding{keySubmit}
	case obWhichBank:
		return s.whichBankHelp()
	case obPayees:
		if s.again || s.multiBank() {
			return []key.Binding{keyNextFld, keyModel, keyAddPayee, keyDropPayee, keyBack}
		}
		// No way back from here: the authenticator is enrolled and cannot be enrolled twice.
		return []key.Binding{keyNextFld, keyModel, keyAddPayee, keyDropPayee}
	case obBank:
		if s.bank != nil {
			return s.bank.ShortHelp()
		}
	case obConsent:
		return []key.Binding{keySubmit, keyBack}
	}
	// The first page and the result page have nothing to go back to.
	return []key.Binding{keySubmit}
}

func (s *onboardingScreen) FullHelp() [][]key.Binding {
	ks := s.ShortHelp()
	if s.step == obPayees || s.step == obPIN {
		ks = append(ks, keyPrevFld, keyClear)
	}
	return [][]key.Binding{append(ks, keyInspector)}
}

func (s *onboardingScreen) call(step obStep, f func(m *obDoneMsg)) tea.Cmd {
	s.busy = true
	s.err = ""
	s.enterEarly = false // a key pressed before an earlier answer does not carry over
	s.req = s.c.nextReq()
	req := s.req
	return func() tea.Msg {
		m := obDoneMsg{req: req, step: step}
		f(&m)
		return m
	}
}

func (s *onboardingScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case obDoneMsg:
		if msg.req != s.req {
			return s, nil
		}
		s.busy = false
		if msg.err != nil {
			s.err = explain(msg.err)
			if msg.step == obTOTP {
				s.code.Reset()
			}
			return s, nil
		}
		return s, s.advance(msg)
	case banksLoadedMsg:
		return s, s.onBanks(msg)
	case tea.KeyMsg:
		if s.busy {
			switch {
			case s.step == obConsent && s.terms == nil:
				s.termsLoadingKey(msg)
			case s.step == obTOTP && s.enrol == nil:
				s.enterEarly = s.enterEarly || msg.Type == tea.KeyEnter ||
					(msg.Type == tea.KeyRunes && slices.ContainsFunc(msg.Runes, digitsOnly))
			}
			return s, nil
		}
		return s, s.onKey(msg)
	}
	if s.bank != nil {
		_, cmd := s.bank.Update(msg)
		if s.bank.mode == bankDone && s.step == obBank {
			s.step = obDone
		}
		return s, cmd
	}
	return s, nil
}

// advance moves to the next step after a wallet call succeeded.
func (s *onboardingScreen) advance(m obDoneMsg) tea.Cmd {
	w := s.c.w
	switch m.step {
	case obPIN:
		s.step = obTOTP
		return s.loadEnrolment()
	case obLoadEnrolment:
		s.enrol = m.enrol
	case obTOTP:
		s.recovery = m.recovery
	case obPayees:
		s.step = obConsent
		s.terms = nil // the terms of another bank or other payees must not show meanwhile
		return s.loadTerms()
	case obLoadTerms:
		s.terms = m.terms
	case obConsent:
		s.step = obBank
		s.bank = newBankFlow(s.c, *m.bank, "", w.BeginBankStep)
		s.bank.embedded = true
		if s.multiBank() {
			s.bank.bankName = s.chosenBankName()
		}
		s.bankSize()
		return s.bank.poll()
	}
	return nil
}

func (s *onboardingScreen) onKey(msg tea.KeyMsg) tea.Cmd {
	ctx, w := s.c.ctx, s.c.w
	switch s.step {
	case obIntro:
		if msg.Type == tea.KeyEnter {
			s.step = obPIN
		}
	case obPIN:
		switch msg.Type {
		case tea.KeyEsc:
			s.step = obIntro
		case tea.KeyTab, tea.KeyDown, tea.KeyShiftTab, tea.KeyUp:
			s.pinFocus = 1 - s.pinFocus
		case tea.KeyEnter:
			if s.pinFocus == 0 {
				s.pinFocus = 1
				return nil
			}
			p1, p2 := s.pin1.Value(), s.pin2.Value()
			s.pin1.Reset()
			s.pin2.Reset()
			s.pinFocus = 0
			switch {
			case len([]rune(p1)) < 6:
				s.err = "Choose a PIN of at least 6 digits."
				return nil
			case p1 != p2:
				s.err = "The two PINs differ. Type it twice again."
				return nil
			}
			pin := NewSecret(p1)
			return s.call(obPIN, func(r *obDoneMsg) { r.err = w.SetPIN(ctx, pin) })
		default:
			if s.pinFocus == 0 {
				s.pin1.Update(msg)
			} else {
				s.pin2.Update(msg)
			}
		}
	case obTOTP:
		switch msg.Type {
		case tea.KeyEnter:
			if s.enrol == nil {
				return s.loadEnrolment() // it could not be created: enter tries again
			}
			if s.recovery == nil && len(s.code.value) < 6 {
				s.err = "Type the 6-digit code your authenticator app shows."
				return nil
			}
			if s.recovery != nil {
				// The recovery code was shown; it is dropped from memory as the wizard moves on.
				s.recovery = nil
				return s.enterWhichBank()
			}
			code := NewSecret(s.code.Value())
			s.code.Reset()
			return s.call(obTOTP, func(r *obDoneMsg) {
				rc, err := w.ConfirmTOTP(ctx, code)
				r.recovery, r.err = &rc, err
			})
		default:
			if s.recovery == nil {
				s.code.Update(msg)
			}
		}
	case obWhichBank:
		return s.whichBankKey(msg)
	case obPayees:
		if msg.Type == tea.KeyEsc {
			switch {
			case s.multiBank():
				// Back to the bank list; the payees typed so far stay.
				s.step, s.err = obWhichBank, ""
				s.pick = max(0, slices.IndexFunc(s.banks, func(b BankOption) bool { return b.ID == s.bankID }))
				return nil
			case s.again:
				return s.c.back() // nothing staged yet: leaving loses only what was typed
			}
		}
		return s.payeeKey(msg)
	case obConsent:
		switch msg.Type {
		case tea.KeyEsc:
			s.step = obPayees
		case tea.KeyEnter:
			if s.terms == nil {
				return s.loadTerms() // they could not be read: enter tries again
			}
			return s.call(obConsent, func(r *obDoneMsg) {
				st, err := w.BeginBankStep(ctx)
				r.bank, r.err = &st, err
			})
		}
	case obBank:
		if (s.bank.mode == bankChoose || s.bank.mode == bankFailed) && !s.bank.alone && msg.Type == tea.KeyEsc {
			s.step = obConsent
			return nil
		}
		_, cmd := s.bank.Update(msg)
		return cmd
	case obDone:
		if msg.Type == tea.KeyEnter {
			return s.c.replace(newHome(s.c, nil))
		}
	}
	return nil
}

// loadTerms asks the wallet for the consent page's terms.
func (s *onboardingScreen) loadTerms() tea.Cmd {
	ctx, w := s.c.ctx, s.c.w
	return s.call(obLoadTerms, func(r *obDoneMsg) {
		t, err := w.ConsentTerms(ctx)
		r.terms, r.err = &t, err
	})
}

// termsLoadingKey takes the keys that mean something while the consent page loads: enter
// agrees to nothing yet (enterEarly says so on the page), esc goes back to the payees and
// drops the terms when they come.
func (s *onboardingScreen) termsLoadingKey(msg tea.KeyMsg) {
	switch msg.Type {
	case tea.KeyEnter:
		s.enterEarly = true
	case tea.KeyEsc:
		s.busy, s.enterEarly, s.step = false, false, obPayees
		s.req = s.c.nextReq()
	}
}

func (s *onboardingScreen) View() string {
	st := s.c.st
	var b strings.Builder
	switch s.step {
	case obIntro:
		b.WriteString(st.Title.Render("Welcome to payterm") + "\n\n")
		// One line per paragraph: the router wraps it to the terminal's width.
		b.WriteString("You approve one consent at your bank once. After that, payterm itself checks it is you " +
			"(your PIN and a code from your authenticator app) before each payment, instead of your bank.\n\n")
		if s.multiBank() {
			b.WriteString("Next come a PIN, an authenticator code, which bank, your payees, the consent page, and your bank.\n\n")
		} else {
			b.WriteString("Next come a PIN, an authenticator code, your payees, the consent page, and your bank.\n\n")
		}
		b.WriteString("Press enter to start.")
	case obPIN:
		b.WriteString("Choose a PIN of at least 6 digits. You type it before every payment.\n\n")
		b.WriteString(s.pin1.View(st, s.pinFocus == 0, 6) + "\n")
		b.WriteString(s.pin2.View(st, s.pinFocus == 1, 6) + "\n")
	case obTOTP:
		v, owns := s.totpView()
		b.WriteString(v)
		if owns {
			return b.String()
		}
	case obWhichBank:
		b.WriteString(s.whichBankView())
	case obPayees:
		b.WriteString(s.payeesView())
	case obConsent:
		b.WriteString(s.consentView())
	case obBank:
		if s.bank != nil {
			b.WriteString(s.bank.View())
		}
	case obDone:
		if s.again {
			b.WriteString(st.Success.Render("Your new consent is in place.") + "\n\n")
		} else {
			b.WriteString(st.Success.Render("You are set up.") + "\n\n")
		}
		if s.bank != nil && s.bank.result != nil {
			r := s.bank.result
			b.WriteString(consentBank(*r) + " · " + statusLabel(*r) + " · Flexi Pay · expires " + day(r.Expires, s.c.loc) + "\n\n")
		}
		b.WriteString("Each payment now asks for your PIN and authenticator code here.\nPress enter to go to your wallet.")
	}
	if s.busy {
		b.WriteString("\n\n" + st.Muted.Render("Working…"))
	}
	if s.err != "" {
		b.WriteString("\n\n" + st.Error.Render(s.err))
	}
	return b.String()
}

// consentView is the TPP consent page the standard requires before redirecting to the bank:
// the wallet initiates payments, the user approves each one here, no amounts or schedule are
// fixed, who can be paid, and when it expires.
func (s *onboardingScreen) consentView() string {
	st := s.c.st
	t := s.terms
	switch {
	case t == nil && !s.busy:
		return "The consent page could not be prepared. Press enter to try again, or esc to go back to your payees."
	case t == nil && s.enterEarly:
		return st.Muted.Render("Preparing the consent…") + "\n\n" +
			"Enter agrees only once you can read what you consent to: press it again when the terms show."
	case t == nil:
		return st.Muted.Render("Preparing the consent…")
	}
	var b strings.Builder
	b.WriteString(st.Title.Render("Your consent") + "\n\n")
	fmt.Fprintf(&b, "You allow payterm to initiate payments from your account at %s.\n", plainName(t.Bank))
	b.WriteString("Each payment is approved by you, here, with your PIN and authenticator code:\n")
	b.WriteString("payterm authenticates you on behalf of your bank.\n")
	b.WriteString("No amounts or schedule are fixed in this consent; the limits you set in payterm apply.\n\n")
	b.WriteString("Who you can pay: ")
	switch {
	case t.Model == BeneficiaryOpen || len(t.Payees) == 0:
		b.WriteString("any payee you choose when you pay.\n")
	case len(t.Payees) == 1:
		b.WriteString(t.Payees[0].Name + " (" + MaskIBAN(t.Payees[0].IBAN) + ")\n")
	default:
		b.WriteString("\n")
		for _, p := range t.Payees {
			fmt.Fprintf(&b, "  • %s (%s)\n", p.Name, MaskIBAN(p.IBAN))
		}
	}
	if t.Purpose.Code != "" {
		fmt.Fprintf(&b, "Purpose: %s %s\n", t.Purpose.Code, t.Purpose.Description)
	}
	fmt.Fprintf(&b, "Valid until: %s (%s). You can cancel it at any time in payterm.\n\n", day(t.Expires, s.c.loc), until(s.c.now(), t.Expires, s.c.loc))
	b.WriteString("Press enter to continue to your bank, esc to change payees.")
	return b.String()
}
