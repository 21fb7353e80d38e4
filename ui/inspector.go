package ui

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// inspectorScreen shows the delegated-SCA sequence as a vertical diagram with the current step
// lit, and for the selected step the actual message: HTTP line, headers, decoded JOSE headers
// and claims, verification results; bank verdicts on the sandbox. Secrets are always redacted;
// PII only appears when the wallet says it is the embedded sandbox.
type inspectorScreen struct {
	c       *common
	w, h    int
	in      *Inspection
	sel     int
	scroll  int
	req     int
	err     string
	working bool
	paneW   int // the message pane's width in the current layout (the banks table fits it)
}

type (
	inspectionMsg struct {
		req int
		in  Inspection
		err error
	}
	bundleMsg struct {
		req  int
		path string
		err  error
	}
)

func newInspector(c *common) *inspectorScreen { return &inspectorScreen{c: c} }

func (s *inspectorScreen) Init() tea.Cmd { return s.refresh() }

func (s *inspectorScreen) refresh() tea.Cmd {
	s.req = s.c.nextReq()
	req, ctx, w := s.req, s.c.ctx, s.c.w
	return func() tea.Msg {
		in, err := w.Inspect(ctx)
		return inspectionMsg{req: req, in: in, err: err}
	}
}

func (s *inspectorScreen) SetSize(w, h int) { s.w, s.h = w, h }
func (s *inspectorScreen) Title() string    { return "Inspector" }
func (s *inspectorScreen) Typing() bool     { return false }
func (s *inspectorScreen) Busy() bool       { return false }

func (s *inspectorScreen) ShortHelp() []key.Binding {
	return []key.Binding{keyUp, keyDown, keyPgDown, keyExport, keyBack}
}

func (s *inspectorScreen) FullHelp() [][]key.Binding {
	return [][]key.Binding{{keyUp, keyDown, keyPgDown, keyPgUp, keyRefresh, keyExport, keyBack, keyInspector}}
}

func (s *inspectorScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case inspectionMsg:
		if msg.req != s.req {
			return s, nil
		}
		if msg.err != nil {
			s.err = explain(msg.err)
			return s, nil
		}
		in := msg.in
		s.in, s.err = &in, ""
		// Start on the lit step: that is what the user came to see.
		s.sel = s.lit()
		s.sel = max(0, min(s.sel, len(in.Steps)-1))
	case bundleMsg:
		if msg.req != s.req {
			return s, nil
		}
		s.working = false
		if msg.err != nil {
			return s, s.c.fail(msg.err)
		}
		return s, s.c.info("Support bundle written to " + msg.path + " (ids and redacted messages only).")
	case tea.KeyMsg:
		n := 0
		if s.in != nil {
			n = len(s.in.Steps)
		}
		switch {
		case key.Matches(msg, keyBack):
			return s, s.c.back()
		case key.Matches(msg, keyUp):
			s.sel, s.scroll = max(0, s.sel-1), 0
		case key.Matches(msg, keyDown):
			s.sel, s.scroll = max(0, min(n-1, s.sel+1)), 0
		case key.Matches(msg, keyPgDown):
			s.scroll += max(1, s.h/2)
		case key.Matches(msg, keyPgUp):
			s.scroll = max(0, s.scroll-max(1, s.h/2))
		case key.Matches(msg, keyRefresh):
			return s, s.refresh()
		case key.Matches(msg, keyExport):
			if s.working {
				return s, nil
			}
			s.working = true
			s.req = s.c.nextReq()
			req, ctx, w := s.req, s.c.ctx, s.c.w
			return s, func() tea.Msg {
				p, err := w.ExportSupportBundle(ctx)
				return bundleMsg{req: req, path: p, err: err}
			}
		}
	}
	return s, nil
}

// alwaysSecret names headers and claims that are redacted even if the wallet forgot to mark
// them: defence in depth for a screen people screenshot.
var alwaysSecret = map[string]bool{
	"authorization": true, "cookie": true, "set-cookie": true, "dpop": true,
	"client_assertion": true, "code": true, "code_verifier": true, "access_token": true,
	"refresh_token": true, "id_token": true, "pin": true, "otp": true, "totp": true,
	"request": true, "assertion": true, "private_key": true, "d": true,
}

func (s *inspectorScreen) value(f Field) string {
	switch {
	case f.Secret || alwaysSecret[strings.ToLower(f.Name)]:
		return "‹redacted›"
	case f.PII && (s.in == nil || !s.in.ShowPII):
		return "‹PII hidden›"
	}
	return abbreviate(f.Value)
}

// opaqueMax is the length from which a value without spaces (a JWE, a signature) is shown by its
// start only: dozens of lines of ciphertext would bury the fields a reader came for.
const opaqueMax = 160

func abbreviate(v string) string {
	if len(v) <= opaqueMax || strings.ContainsRune(v, ' ') {
		return v
	}
	head := v[:48]
	for !utf8.ValidString(head) { // never cut inside a rune
		head = head[:len(head)-1]
	}
	kind := "value"
	if n := strings.Count(v, "."); n == 4 {
		kind = "JWE"
	} else if n == 2 {
		kind = "JWS"
	}
	return fmt.Sprintf("%s… (%s of %d characters)", head, kind, len(v))
}

func (s *inspectorScreen) View() string {
	st := s.c.st
	if s.in == nil {
		if s.err != "" {
			return st.Error.Render(s.err)
		}
		return st.Muted.Render("Loading the protocol trace…")
	}
	in := s.in
	if len(in.Steps) == 0 {
		return st.Muted.Render("Nothing has been exchanged with the bank yet.")
	}
	if s.wide() {
		return s.columnsView()
	}
	diagram := s.diagram()
	for i := range diagram {
		diagram[i] = truncate(diagram[i], s.w)
	}
	s.paneW = s.w
	detail := strings.Split(wrapTokens(strings.Join(s.detailLines(), "\n"), s.w, 2), "\n")
	// Diagram on top, the selected step's message below, scrolled.
	room := max(1, s.h-len(diagram)-1)
	var out []string
	out = append(out, diagram...)
	out = append(out, "")
	out = append(out, s.window(detail, room)...)
	return strings.Join(out, "\n")
}

// wideMin is the width from which the diagram and the message sit side by side.
const wideMin = 100

// wide: the diagram in a left column, the message in a scrollable right pane. Narrow terminals
// and accessible mode (a screen reader reads line by line) keep the stacked layout.
func (s *inspectorScreen) wide() bool { return s.w >= wideMin && !s.c.st.accessible }

// columnsView lays the diagram (left) beside the selected step's message (right pane, the full
// height, scrolled with pgup/pgdn).
func (s *inspectorScreen) columnsView() string {
	st := s.c.st
	diagram := s.diagram()
	leftW := 0
	for _, l := range diagram {
		leftW = max(leftW, displayWidth(l))
	}
	leftW = min(leftW, s.w*11/20) // room for "◉ SCA in payterm (…)  ← now" at 100 columns
	sep := " " + st.Muted.Render("│") + " "
	rightW := s.w - leftW - 3
	s.paneW = rightW
	detail := strings.Split(wrapTokens(strings.Join(s.detailLines(), "\n"), rightW, 2), "\n")
	right := s.window(detail, max(1, s.h))
	rows := max(len(diagram), len(right))
	out := make([]string, rows)
	for i := range rows {
		l, r := "", ""
		if i < len(diagram) {
			l = diagram[i]
		}
		if i < len(right) {
			r = right[i]
		}
		out[i] = fit(l, leftW) + sep + r
	}
	return strings.Join(out, "\n")
}

// window is the part of the message lines that fits in room rows at the current scroll
// position; the last row says when more lines follow.
func (s *inspectorScreen) window(lines []string, room int) []string {
	s.scroll = max(0, min(s.scroll, max(0, len(lines)-room)))
	end := min(len(lines), s.scroll+room)
	out := append([]string(nil), lines[s.scroll:end]...)
	if s.scroll > 0 && len(out) > 1 {
		out[0] = s.c.st.Muted.Render(fmt.Sprintf("↑ %s above (pgup)", count(s.scroll+1, "line", "lines")))
	}
	if end < len(lines) && len(out) > 1 {
		out[len(out)-1] = s.c.st.Muted.Render(fmt.Sprintf("↓ %s more (pgdn)", count(len(lines)-end+1, "line", "lines")))
	}
	return out
}

// connectors draws "│" between the steps unless a stacked diagram would leave the message
// fewer than ten rows (80×24): then the steps sit on consecutive lines.
func (s *inspectorScreen) connectors() bool {
	return s.wide() || s.h-(2*len(s.in.Steps)-1)-1 >= 10
}

// lit is the step to light: the current or failed one, else the latest done one (a core that
// only reports finished steps still gets "where are we" answered).
func (s *inspectorScreen) lit() int {
	lit, lastDone := -1, 0
	for i, st := range s.in.Steps {
		switch st.State {
		case SeqCurrent, SeqFailed:
			lit = i
		case SeqDone:
			lastDone = i
		}
	}
	if lit < 0 {
		return lastDone
	}
	return lit
}

func (s *inspectorScreen) diagram() []string {
	st := s.c.st
	var lines []string
	lit := s.lit()
	for i, step := range s.in.Steps {
		mark := "○"
		label := step.Name
		switch step.State {
		case SeqDone:
			mark = "●"
			if i == lit {
				label = st.Accent.Bold(true).Render(label + "  ← latest")
			}
		case SeqCurrent:
			mark = "◉"
			label = st.Accent.Bold(true).Render(label + "  ← now")
		case SeqFailed:
			mark = "✗"
			label = st.Error.Render(label + "  failed")
		}
		if st.accessible {
			mark = map[SequenceState]string{SeqPending: "[ ]", SeqCurrent: "[>]", SeqDone: "[x]", SeqFailed: "[!]"}[step.State]
			if step.State == SeqCurrent {
				label = step.Name + " (current step)"
			} else if step.State == SeqDone && i == lit {
				label = step.Name + " (latest step)"
			} else if step.State == SeqFailed {
				label = step.Name + " (failed)"
			}
		}
		cursor := "  "
		if i == s.sel {
			cursor = "> "
		}
		lines = append(lines, cursor+mark+" "+label)
		if !st.accessible && i < len(s.in.Steps)-1 && s.connectors() {
			lines = append(lines, "  │")
		}
	}
	return lines
}

func (s *inspectorScreen) detailLines() []string {
	st := s.c.st
	step := s.in.Steps[s.sel]
	var l []string
	l = append(l, st.Title.Render(step.Name))
	// Outside the UAE the trace names its standard and how its requests are signed ("which
	// scheme signed what"); a UAE trace says it in its steps.
	if std, sig := plainName(s.in.Standard), plainName(s.in.Signing); std != "" || sig != "" {
		line := std
		if sig != "" {
			line = strings.TrimPrefix(line+" · requests signed with "+sig, " · ")
		}
		l = append(l, st.Muted.Render(line))
	}
	if why := stepProves(step.Name); why != "" {
		l = append(l, st.Accent.Render(why), "")
	}
	ex := step.Exchange
	if ex == nil {
		switch step.State {
		case SeqPending, SeqCurrent:
			l = append(l, st.Muted.Render("Nothing recorded for this step yet (the trace covers this session)."))
		default:
			l = append(l, st.Muted.Render("No HTTP message from payterm: this step happens in the browser or inside payterm."))
		}
	} else {
		if bank := plainName(ex.Bank); bank != "" {
			l = append(l, st.Muted.Render("At "+bank))
		}
		l = append(l, ex.Request)
		if ex.Response != "" {
			l = append(l, ex.Response)
		}
		if ex.InteractionID != "" {
			idName := ex.IDName
			if idName == "" {
				idName = "x-fapi-interaction-id"
			}
			l = append(l, idName+": "+ex.InteractionID)
		}
		section := func(title string, fs []Field) {
			if len(fs) == 0 {
				return
			}
			l = append(l, "", st.Muted.Render(title))
			for _, f := range fs {
				l = append(l, fmt.Sprintf("  %s: %s", f.Name, s.value(f)))
			}
		}
		section("Headers", ex.Headers)
		section("JWT header", ex.JWTHeader)
		section("JWT claims", ex.JWTClaims)
		section("JWE header (payload encrypted to the bank)", ex.JWEHeader)
		section("Sealed in the JWE: the personal data only the bank can read", ex.Sealed)
		section("HTTP signature (the bank verifies it with the QSealC sent)", ex.Signature)
		section("Request body", ex.Body)
		section("Response body", ex.ResponseBody)
		if len(ex.Checks) > 0 {
			l = append(l, "", st.Muted.Render("Verification"))
			for _, c := range ex.Checks {
				line := "  " + st.mark(c.OK) + " " + c.Name
				if c.Detail != "" {
					line += ": " + c.Detail
				}
				l = append(l, line)
			}
		}
	}
	if vs := verdictsFor(s.in.Verdicts, step.Name); len(vs) > 0 {
		l = append(l, "", st.Muted.Render("Sandbox bank verdicts"))
		for _, v := range vs {
			line := "  " + st.mark(v.Passed) + " " + v.Rule
			if v.Detail != "" {
				line += ": " + v.Detail
			}
			l = append(l, line)
		}
	}
	if !s.in.ShowPII {
		l = append(l, "", st.Muted.Render("PII is hidden: it is shown only on the embedded sandbox."))
	}
	// The wallet's banks side by side when their standards differ: which scheme signs where.
	if v := standardsView(st, s.in.Banks, max(20, s.paneW)); v != "" {
		l = append(l, "")
		l = append(l, strings.Split(strings.TrimSuffix(v, "\n"), "\n")...)
	}
	return l
}

// stepProves is the one sentence a demo audience needs for each step of delegated SCA: what it
// proves and to whom. The names are the core's (app's sequence); an unknown step gets none.
func stepProves(name string) string {
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "discovery") || strings.Contains(n, "jwks"):
		return "Proves who the bank is: its issuer, endpoints and signing keys come from its published discovery document."
	case n == "par" || strings.Contains(n, "pushed authorization"):
		return "Proves the consent request comes from payterm: signed with its key, personal data encrypted to the bank, sent over mTLS."
	case strings.HasPrefix(n, "authorize"):
		return "Proves the account holder agreed: the bank authenticates them once and they approve the consent at the bank."
	case strings.Contains(n, "callback") || strings.Contains(n, "token"):
		return "Proves the approval reached payterm alone: the code only works with payterm's key, its PKCE verifier and redirect."
	case strings.HasPrefix(n, "sca"):
		return "Proves the payer approved this very payment here: PIN + authenticator code, and the device key signs amount and payee."
	case strings.HasPrefix(n, "post /payments"):
		return "Proves to the bank the payment is authorised without its own SCA: signed by payterm, carrying payterm's SCA evidence."
	case strings.HasPrefix(n, "wallet check"):
		return "Proves the payer approved this payment in payterm first: PIN + authenticator code, the device key signs amount and payee."
	case strings.HasPrefix(n, "initiate"):
		return "Proves the request is payterm's and unaltered: an HTTP signature with its QSealC over the headers and the body's Digest, over mTLS."
	case strings.HasPrefix(n, "start the bank's"), strings.HasPrefix(n, "bank sca"):
		return "The bank authenticates the payer itself (PSD2): in its browser page, its app, or with the password and one-time code payterm passes on."
	case strings.HasPrefix(n, "get …/status"):
		return "Proves the outcome: the bank's ISO 20022 transaction status, asked again until the payment is final."
	case strings.HasPrefix(n, "get /payments"):
		return "Proves the outcome: the bank's signed status, asked again until the payment is settled or rejected."
	}
	return ""
}

// verdictsFor keeps the bank's verdicts on the selected step when the core names the step in
// them ("POST /payments · rule 12: ..."), without repeating that name; verdicts that name no
// step are all shown.
func verdictsFor(all []Verdict, step string) []Verdict {
	prefix := step + " · "
	var mine []Verdict
	named := false
	for _, v := range all {
		if strings.Contains(v.Rule, " · ") {
			named = true
		}
		if strings.HasPrefix(v.Rule, prefix) {
			v.Rule = strings.TrimPrefix(v.Rule, prefix)
			mine = append(mine, v)
		}
	}
	if !named {
		return all
	}
	return mine
}
