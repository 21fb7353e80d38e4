package ui

import (
	"context"
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"
)

// Screen is the one contract every page implements (soft-serve's Component shape): a tea.Model
// whose Update returns itself, a help keymap listing every key it handles, and SetSize.
type Screen interface {
	tea.Model
	help.KeyMap
	SetSize(width, height int)
	// Title names the screen in the header.
	Title() string
	// Typing is true while a text field has focus: single-letter global keys (q, ?, i) then go to
	// the screen as text.
	Typing() bool
	// Busy is true while abandoning the screen would leave an operation the user must know about
	// (a payment in flight): ctrl+c then asks first, and q does not quit.
	Busy() bool
}

// common is shared by every screen: the wallet, styles, the injected clock and the app context
// (cancelled when the program quits, so Cmds blocked in the wallet return).
type common struct {
	w          Wallet
	st         Styles
	now        func() time.Time
	loc        *time.Location // the zone times are shown in (Options.Location)
	ctx        context.Context
	accessible bool
	openURL    func(string) error
	// hyperlinks: the terminal shows OSC 8 links (Options.Hyperlinks); altScreen: the program
	// runs on the alternate screen (Run), which the bank step leaves to print its address.
	hyperlinks, altScreen bool
	// termW and termH are the whole terminal's size (screens get less): a screen that cannot
	// show something says how large the terminal must be.
	termW, termH int
	reqSeq       int        // request ids, so stale async results can be recognised and dropped
	nav          []navOp    // navigation requested during the current Update
	status       *statusMsg // footer line set during the current Update
}

func (c *common) nextReq() int {
	c.reqSeq++
	return c.reqSeq
}

// navOp is a navigation a screen asked for during an Update. The router applies it as soon as
// that Update returns, inside the same message, so keys typed ahead (a script, a fast typist)
// land on the screen the user will see, never on the one being left.
type navOp struct {
	kind navKind
	to   Screen
}

type navKind int

const (
	navPush navKind = iota
	navBack
	navReplace
)

// navigate asks the router to push s.
func (c *common) navigate(s Screen) tea.Cmd {
	c.nav = append(c.nav, navOp{kind: navPush, to: s})
	return nil
}

// back asks the router to pop the current screen.
func (c *common) back() tea.Cmd {
	c.nav = append(c.nav, navOp{kind: navBack})
	return nil
}

// replace asks the router to swap the whole stack for s (after onboarding, after a receipt).
func (c *common) replace(s Screen) tea.Cmd {
	c.nav = append(c.nav, navOp{kind: navReplace, to: s})
	return nil
}

// Messages shared by screens and the router.
type (
	// statusMsg sets the footer line until the next key.
	statusMsg struct {
		text  string
		isErr bool
	}
	// overviewMsg is the start-up load.
	overviewMsg struct {
		ov  Overview
		err error
		// feed is the change feed, subscribed just before this read (the first load only).
		feed <-chan Change
	}
	// IdleCheckMsg makes the router compare the clock with the last key press. The program sends
	// it every few seconds; tests send it after advancing their fake clock.
	IdleCheckMsg struct{}
	// unlockMsg is the result of Wallet.Unlock.
	unlockMsg struct{ err error }
)

// info and fail set the footer line. Like navigation they are applied when the current Update
// returns, so the line appears in the same frame as the change it describes and a key pressed
// after that frame always clears it (a message could arrive after the key).
func (c *common) info(text string) tea.Cmd {
	c.status = &statusMsg{text: text}
	return nil
}

func (c *common) fail(err error) tea.Cmd {
	c.status = &statusMsg{text: explain(err), isErr: true}
	return nil
}
