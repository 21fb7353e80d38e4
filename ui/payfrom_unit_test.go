package ui

import (
	"io"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

func TestCanPayNow(t *testing.T) {
	now := fakeBase
	ok := Consent{Status: ConsentAuthorized, Expires: now.Add(time.Minute)}
	for name, tc := range map[string]struct {
		edit func(c *Consent)
		want bool
	}{
		"authorised":           {func(*Consent) {}, true},
		"no expiry date":       {func(c *Consent) { c.Expires = time.Time{} }, true},
		"expires this instant": {func(c *Consent) { c.Expires = now }, false},
		"expired by the clock": {func(c *Consent) { c.Expires = now.Add(-time.Second) }, false},
		"paused":               {func(c *Consent) { c.Paused = true }, false},
		"suspended":            {func(c *Consent) { c.Status = ConsentSuspended }, false},
		"awaiting":             {func(c *Consent) { c.Status = ConsentAwaitingAuthorization }, false},
		"revoked":              {func(c *Consent) { c.Status = ConsentRevoked }, false},
		"expired status":       {func(c *Consent) { c.Status = ConsentExpired }, false},
		"consumed":             {func(c *Consent) { c.Status = ConsentConsumed }, false},
	} {
		c := ok
		tc.edit(&c)
		if got := canPayNow(c, now); got != tc.want {
			t.Errorf("%s: canPayNow = %v, want %v", name, got, tc.want)
		}
	}
}

func TestPayChoicesOrder(t *testing.T) {
	now := fakeBase
	mk := func(id string) Consent {
		return Consent{ID: id, Status: ConsentAuthorized, Expires: now.AddDate(0, 1, 0)}
	}
	a, b, c := mk("a"), mk("b"), mk("c")
	paused := mk("p")
	paused.Paused = true
	ids := func(cs []Consent) string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return strings.Join(out, ",")
	}
	for name, tc := range map[string]struct {
		cs     []Consent
		active *Consent
		want   string
	}{
		"active first, the rest in order": {[]Consent{a, b, c}, &b, "b,a,c"},
		"unusable dropped":                {[]Consent{paused, a, c}, &c, "c,a"},
		"no active":                       {[]Consent{a, c}, nil, "a,c"},
		"active missing from the list":    {[]Consent{a}, &b, "b,a"},
		"unusable active not offered":     {[]Consent{a, paused}, &paused, "a"},
		"duplicates once":                 {[]Consent{a, a, b}, &a, "a,b"},
		"none":                            {[]Consent{paused}, nil, ""},
	} {
		if got := ids(payChoices(tc.cs, tc.active, now)); got != tc.want {
			t.Errorf("%s: %q, want %q", name, got, tc.want)
		}
	}
}

func TestPaysLabel(t *testing.T) {
	for _, tc := range []struct {
		c    Consent
		want string
	}{
		{Consent{Model: BeneficiaryOpen}, "Any payee (open consent)"},
		{Consent{Model: BeneficiaryOne, Creditors: []Payee{{Name: "Test Payee One"}}}, "Pays Test Payee One"},
		{Consent{Model: BeneficiaryList, Creditors: []Payee{{Name: "A\x1b[2J"}, {Name: "  "}, {Name: "B\n"}}}, "Pays A\uFFFD[2J, B"},
		{Consent{Model: BeneficiaryList}, "Pays the payees named in the consent"},
	} {
		if got := paysLabel(tc.c); got != tc.want {
			t.Errorf("paysLabel(%+v) = %q, want %q", tc.c, got, tc.want)
		}
	}
}

func TestConsentLeft(t *testing.T) {
	l := Limits{ConsentTotal: amt(100000)}
	if got := consentLeft(l, amt(25050)); got.Minor() != 74950 {
		t.Errorf("left = %d, want 74950", got.Minor())
	}
	if got := consentLeft(l, amt(200000)); !got.IsZero() {
		t.Errorf("over the limit: left = %d, want 0", got.Minor())
	}
}

// plainChooser is a chooser with the ASCII profile, w cells wide, over the given consents.
func plainChooser(w int, accessible bool, cs []Consent) *payFromScreen {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	c := &common{st: newStyles(r, DefaultTheme(), accessible), now: func() time.Time { return fakeBase }, accessible: accessible}
	s := newPayFrom(c, Overview{Headroom: Headroom{Limits: Limits{ConsentTotal: amt(50000000)}}}, cs, nil)
	s.SetSize(w, 0)
	return s
}

// FuzzPayFromRow: whatever the bank and payee names and the width, each row is two lines that
// fit the width, are valid UTF-8 and carry no control character from the names.
func FuzzPayFromRow(f *testing.F) {
	f.Add("Example Islamic Bank of the Northern Emirates", "Test Payee One", "مثال تجريبي", 60, false)
	f.Add("", "", "", 1, true)
	f.Add("\x1b[2J\r", "名前の長い受取人", "\u202eevil", 73, false)
	f.Add("Sandbox Bank", "a\tb", "\x00", 200, true)
	f.Fuzz(func(t *testing.T, bank, p1, p2 string, w int, accessible bool) {
		w = 60 + (w%200+200)%200
		one := Consent{ID: "1", Bank: bank, Status: ConsentAuthorized, Expires: fakeBase.AddDate(1, 0, 0), Model: BeneficiaryList,
			Creditors: []Payee{{Name: p1}, {Name: p2}}}
		two := Consent{ID: "2", Bank: p2, BankID: bank, Status: ConsentAuthorized, Model: BeneficiaryOne, Creditors: []Payee{{Name: p1}}}
		s := plainChooser(w, accessible, []Consent{one, two})
		for i := range s.choices {
			row := s.row(i, 1, bankColumn(s.choices, s.all)[i])
			lines := strings.Split(row, "\n")
			if len(lines) != 2 {
				t.Fatalf("row %d is %d lines:\n%s", i, len(lines), row)
			}
			for _, l := range lines {
				if displayWidth(l) > w {
					t.Errorf("line %q is %d cells, more than %d", l, displayWidth(l), w)
				}
				if strings.ContainsFunc(l, unicode.IsControl) {
					t.Errorf("line %q carries a control character", l)
				}
				if utf8.ValidString(bank+p1+p2) && !utf8.ValidString(l) {
					t.Errorf("line %q is not valid UTF-8", l)
				}
			}
		}
	})
}

// TestPayFromWithoutTotalLimit: with no consent total limit a row has no amount and the intro
// does not explain one.
func TestPayFromWithoutTotalLimit(t *testing.T) {
	cs := []Consent{
		{ID: "1", Bank: "First Bank", Status: ConsentAuthorized, Model: BeneficiaryOpen},
		{ID: "2", Bank: "Second Bank", Status: ConsentAuthorized, Expires: fakeBase.AddDate(0, 1, 0), Model: BeneficiaryOpen},
	}
	s := plainChooser(80, false, cs)
	s.headroom = Headroom{}
	v := s.View()
	for _, never := range []string{"left", "limit"} {
		if strings.Contains(v, never) {
			t.Errorf("mentions %q without a consent total limit:\n%s", never, v)
		}
	}
	for _, want := range []string{"> 1. First Bank", "no expiry date", "  2. Second Bank", "expires 2030-02-15", "Any payee (open consent)"} {
		if !strings.Contains(v, want) {
			t.Errorf("lacks %q:\n%s", want, v)
		}
	}
}

// TestPayFromEmptyAfterReload: a reload that finds nothing usable says so and what to do.
func TestPayFromEmptyAfterReload(t *testing.T) {
	cs := []Consent{
		{ID: "1", Bank: "First Bank", Status: ConsentAuthorized},
		{ID: "2", Bank: "Second Bank", Status: ConsentAuthorized},
	}
	s := plainChooser(80, false, cs)
	s.c.nextReq() // the router's other requests
	_ = s.refresh()
	s.Update(payConsentsMsg{req: s.req, cs: []Consent{{ID: "1", Status: ConsentRevoked}}})
	if v := s.View(); !strings.Contains(v, "No consent can pay now.") || !strings.Contains(v, "n to give a new consent") {
		t.Errorf("empty list:\n%s", v)
	}
	if got := s.onKey(tea.KeyMsg{Type: tea.KeyEnter}); got != nil || len(s.c.nav) != 0 {
		t.Errorf("enter on an empty list navigated: %v", s.c.nav)
	}
}

// TestCanCancelOnlyWhereTheBankCan: X on a payment awaiting its bank's approval only where the
// core can ask that bank (PayTerms.NoCancel); a queued payment is always cancellable (nothing
// was sent).
func TestCanCancelOnlyWhereTheBankCan(t *testing.T) {
	for _, c := range []struct {
		st   PaymentStatus
		t    PayTerms
		want bool
	}{
		{PaymentPrepared, PayTerms{NoCancel: true}, true},
		{PaymentAwaitingBankSCA, PayTerms{}, true},
		{PaymentAwaitingBankSCA, PayTerms{NoCancel: true}, false},
		{PaymentExecuted, PayTerms{}, false},
	} {
		if got := canCancel(c.st, c.t); got != c.want {
			t.Errorf("canCancel(%s, NoCancel %v) = %v", c.st, c.t.NoCancel, got)
		}
	}
}

// TestAccountHintsReadAsExamples: a hint that is a sample account says so ("like …"): without
// colour (no_color, a screen reader) a bare sample read as a value already typed.
func TestAccountHintsReadAsExamples(t *testing.T) {
	for _, a := range []AccountScheme{AccountUAEIBAN, AccountIBAN} {
		if h := accountHint(a); !strings.HasPrefix(h, "like ") {
			t.Errorf("accountHint(%v) = %q", a, h)
		}
	}
}
