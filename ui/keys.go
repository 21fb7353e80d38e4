package ui

import "github.com/charmbracelet/bubbles/key"

// Key bindings are data: the same values drive Update and the help overlay.
var (
	keyUp         = key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up"))
	keyDown       = key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down"))
	keyTop        = key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first"))
	keyBottom     = key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last"))
	keyPgDown     = key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn/ctrl+d", "page down"))
	keyPgUp       = key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup/ctrl+u", "page up"))
	keyLeft       = key.NewBinding(key.WithKeys("left", "h", "shift+tab"), key.WithHelp("←/h", "previous tab"))
	keyRight      = key.NewBinding(key.WithKeys("right", "l", "tab"), key.WithHelp("→/l", "next tab"))
	keyEnter      = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "select"))
	keyBack       = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back"))
	keyNextFld    = key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab/↓", "next field"))
	keyPrevFld    = key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab/↑", "previous field"))
	keySubmit     = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "continue"))
	keyYes        = key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "confirm"))
	keyNo         = key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n/esc", "keep as is"))
	keyRefresh    = key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh"))
	keyFilter     = key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter"))
	keyStatusF    = key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "cycle status filter"))
	keyPay        = key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pay"))
	keyHistory    = key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "history"))
	keyConsents   = key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "consents"))
	keyNewConsent = key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new consent"))
	keyLimits     = key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "limits"))
	keyEdit       = key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit"))
	keyExport     = key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "export support bundle"))

	// Global keys, handled by the router.
	keyHelp      = key.NewBinding(key.WithKeys("?", "f1"), key.WithHelp("?/f1", "help (f1 also while typing)"))
	keyInspector = key.NewBinding(key.WithKeys("ctrl+t", "i"), key.WithHelp("i/ctrl+t", "inspector (toggle)"))
	keyQuit      = key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit"))
	keyInterrupt = key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit (asks while a payment is in flight)"))
)

func globalKeys() []key.Binding { return []key.Binding{keyHelp, keyInspector, keyQuit, keyInterrupt} }
