package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/payterm/payterm/internal/iban"
)

func TestSecretNeverPrints(t *testing.T) {
	s := NewSecret("424242")
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	log.Info("pin", "pin", s)
	js, err := json.Marshal(struct{ PIN Secret }{s})
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s), buf.String(), string(js),
		fmt.Sprintf("%+v", SCAInput{PIN: s, TOTP: s})} {
		if strings.Contains(out, "424242") {
			t.Errorf("secret leaked: %s", out)
		}
	}
	if s.Reveal() != "424242" || s.Empty() || !NewSecret("").Empty() {
		t.Error("Reveal/Empty broken")
	}
}

func TestIBANFeedback(t *testing.T) {
	cases := map[string]string{
		"":                                  "",
		"A":                                 "",
		"ae07":                              "",
		"AE07 0331 2345 6789 0123 456":      "",
		"AE070331234567890123456":           "",
		"AE070331234567890123457":           "check digits do not match",
		"AE0703312345678901234567":          "a UAE IBAN has 23 characters",
		"GB29NWBK60161331926819":            "starts with AE",
		"X":                                 "starts with AE",
		"AEX":                               "digits only after AE",
		"AE07 0331 2345 6789 0123 45\u0660": "digits only after AE", // Arabic-Indic zero is not ASCII
	}
	for in, want := range cases {
		if got := ibanFeedback(in); got != want {
			t.Errorf("ibanFeedback(%q) = %q, want %q", in, got, want)
		}
	}
	if got := MaskIBAN("AE07 0331 2345 6789 0123 456"); got != "AE07 •••• 3456" {
		t.Errorf("MaskIBAN = %q", got)
	}
	if got := MaskIBAN("AE1"); got != "••••" {
		t.Errorf("MaskIBAN short = %q", got)
	}
	if got := groupIBAN("ae070331234567890123456"); got != "AE07 0331 2345 6789 0123 456" {
		t.Errorf("groupIBAN = %q", got)
	}
}

func FuzzIBANFeedback(f *testing.F) {
	for _, s := range []string{"", "AE070331234567890123456", "AE07 0331", "ÅE", "AE\x00", "ae99999999999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fb := ibanFeedback(s)
		n := normalIBAN(s)
		if fb == "" && len(n) == uaeIBANLength && !iban.ChecksumOK(n) {
			t.Errorf("accepted a complete IBAN with bad check digits: %q", s)
		}
		checkMaskIBAN(t, s)
		_ = groupIBAN(s)
	})
}

// checkMaskIBAN holds MaskIBAN to what its doc comment promises, for any input: valid UTF-8,
// at most eight characters of the input shown, and on ASCII (every IBAN) exactly the output of
// the byte-slicing version the UI and app/ each kept before it was exported.
func checkMaskIBAN(t *testing.T, s string) {
	t.Helper()
	got := MaskIBAN(s)
	if !utf8.ValidString(got) {
		t.Errorf("MaskIBAN(%q) = %q is not valid UTF-8", s, got)
	}
	if shown := utf8.RuneCountInString(strings.ReplaceAll(strings.ReplaceAll(got, "•", ""), " ", "")); shown > 8 {
		t.Errorf("MaskIBAN(%q) = %q shows %d characters", s, got, shown)
	}
	n := normalIBAN(s)
	ascii := true
	for i := 0; i < len(n); i++ {
		ascii = ascii && n[i] < utf8.RuneSelf
	}
	if !ascii {
		return
	}
	want := "••••"
	if len(n) >= 8 {
		want = n[:4] + " •••• " + n[len(n)-4:]
	}
	if got != want {
		t.Errorf("MaskIBAN(%q) = %q, want %q", s, got, want)
	}
}

func TestMaskIBANKeepsCharactersWhole(t *testing.T) {
	for _, s := range []string{"AE07 0331 2345 6789 0123 456", "", "AE070331", "AE07033", "ÅÅÅÅÅÅÅÅÅ", "AEXÅ1234Å", "ae07\u00a00331 2345"} {
		checkMaskIBAN(t, s)
	}
	if got := MaskIBAN("AEXÅ1234Å"); got != "AEXÅ •••• 234Å" {
		t.Errorf("MaskIBAN non-ASCII = %q", got)
	}
}

func TestFieldRunes(t *testing.T) {
	f := newField("Name")
	f.limit = 5
	f.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("مثال")})
	f.Update(tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
	f.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("€x")}) // over the limit: x dropped
	if got := f.Value(); got != "مثال " {
		t.Fatalf("value = %q", got)
	}
	f.Update(tea.KeyMsg{Type: tea.KeyBackspace})
	f.Update(tea.KeyMsg{Type: tea.KeyBackspace})
	if got := f.Value(); got != "مثا" {
		t.Fatalf("after backspace = %q (must delete whole runes)", got)
	}
	f.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'\x1b', '\t', 0x7f}})
	if got := f.Value(); got != "مثا" {
		t.Fatalf("control runes accepted: %q", got)
	}
	f.masked = true
	if v := f.View(Styles{}, false, 0); !strings.Contains(v, "•••") || strings.Contains(v, "مثا") {
		t.Fatalf("masked view = %q", v)
	}
}

func FuzzFieldInput(f *testing.F) {
	f.Add("abc", true)
	f.Add("١٢٣", false)
	f.Add("\x00\x7f\u200f", true)
	f.Fuzz(func(t *testing.T, s string, digits bool) {
		fl := newField("x")
		if digits {
			fl.accept = digitsOnly
		}
		fl.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)})
		if n := len([]rune(fl.Value())); n > 64 {
			t.Fatalf("limit exceeded: %d", n)
		}
		for _, r := range fl.Value() {
			if r < ' ' || r == 0x7f || (digits && !digitsOnly(r)) {
				t.Fatalf("rejected rune %q kept", r)
			}
		}
		_ = fl.View(Styles{}, true, 4)
	})
}

func TestParseDay(t *testing.T) {
	if d, err := parseDay(" 2030-01-15 ", time.UTC); err != nil || !d.Equal(time.Date(2030, 1, 15, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("parseDay = %v, %v", d, err)
	}
	// A day is the user's: in Dubai (UTC+4) 2030-01-15 starts at 20:00 UTC the day before.
	dubai := time.FixedZone("+04", 4*3600)
	if d, err := parseDay("2030-01-15", dubai); err != nil || !d.Equal(time.Date(2030, 1, 14, 20, 0, 0, 0, time.UTC)) {
		t.Fatalf("parseDay in Dubai = %v, %v", d, err)
	}
	if d, err := parseDay("", time.UTC); err != nil || !d.IsZero() {
		t.Fatal("empty must be no bound")
	}
	for _, bad := range []string{"15/01/2030", "2030-13-01", "2030-02-30", "x"} {
		if _, err := parseDay(bad, time.UTC); err == nil {
			t.Errorf("parseDay(%q) accepted", bad)
		}
	}
}

func FuzzParseDay(f *testing.F) {
	f.Add("2030-01-15")
	f.Add("9999-99-99")
	dubai := time.FixedZone("+04", 4*3600)
	f.Fuzz(func(t *testing.T, s string) {
		for _, loc := range []*time.Location{time.UTC, dubai} {
			d, err := parseDay(s, loc)
			if err == nil && !d.IsZero() && day(d, loc) != strings.TrimSpace(s) {
				t.Fatalf("parseDay(%q) = %s", s, day(d, loc))
			}
		}
	})
}

func TestExplain(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{&SCAError{AttemptsLeft: 2}, "2 attempts left"},
		{&SCAError{Locked: true}, "blocked"},
		{fmt.Errorf("submit: %w", &Problem{What: "Over the limit.", Next: "Pay less."}), "Over the limit. Pay less."},
		{context.Canceled, "Cancelled."},
		{errors.New("dial tcp: refused"), "Something went wrong: dial tcp: refused"},
	}
	for _, c := range cases {
		if got := explain(c.err); !strings.Contains(got, c.want) {
			t.Errorf("explain(%v) = %q, want it to contain %q", c.err, got, c.want)
		}
	}
	if explain(nil) != "" {
		t.Error("explain(nil) must be empty")
	}
}

func TestStatusLabels(t *testing.T) {
	cases := map[ConsentStatus]string{ConsentAuthorized: "Active", ConsentAwaitingAuthorization: "Pending",
		ConsentRevoked: "Cancelled", ConsentSuspended: "Suspended", ConsentExpired: "Expired", ConsentRejected: "Rejected"}
	for s, want := range cases {
		if got := statusLabel(Consent{Status: s}); got != want {
			t.Errorf("statusLabel(%s) = %s, want %s", s, got, want)
		}
	}
	if got := statusLabel(Consent{Status: ConsentAuthorized, Paused: true}); got != "Paused" {
		t.Errorf("paused = %s", got)
	}
	if got := statusLabel(Consent{Status: ConsentRevoked, Paused: true}); got != "Cancelled" {
		t.Errorf("a paused flag must not hide a terminal status: %s", got)
	}
}

func TestBigTextKeepsEveryRune(t *testing.T) {
	out := bigText("1,250.50 AED")
	if lines := strings.Split(out, "\n"); len(lines) != 3 {
		t.Fatalf("want 3 rows, got %d", len(lines))
	}
	if !strings.Contains(bigText("€"), "€") {
		t.Error("a rune without a glyph must still appear")
	}
}

func TestElapsedAndUntil(t *testing.T) {
	if got := elapsed(1500 * time.Millisecond); got != "1.5s" {
		t.Errorf("elapsed = %s", got)
	}
	if got := elapsed(65 * time.Second); got != "1m05s" {
		t.Errorf("elapsed = %s", got)
	}
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := until(now, now.Add(-time.Second), time.UTC); got != "expired" {
		t.Errorf("until = %s", got)
	}
	if got := until(now, now.AddDate(0, 0, 10), time.UTC); got != "in 10 days" {
		t.Errorf("until = %s", got)
	}
}

// TestUntilCountsTheDatesShownBesideIt: a consent made for a year less a day, looked at a few
// seconds later, ends on a date 364 days away and says so (hour arithmetic said 363); and a
// countdown across midnight counts the dates, as the date beside it does.
func TestUntilCountsTheDatesShownBesideIt(t *testing.T) {
	dubai := time.FixedZone("GST", 4*3600)
	made := time.Date(2026, 12, 7, 16, 50, 0, 0, dubai)
	expires := made.AddDate(1, 0, -1)
	if got, want := day(expires, dubai)+" ("+until(made.Add(3*time.Second), expires, dubai)+")", "2027-12-06 (in 364 days)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	late := time.Date(2030, 1, 1, 23, 0, 0, 0, dubai)
	if got := until(late, late.Add(50*time.Hour), dubai); got != "in 3 days" { // ends 2030-01-04 01:00
		t.Errorf("until across midnight = %q, want in 3 days", got)
	}
	// The same instants seen from UTC are other dates: the zone decides.
	if got := until(late, late.Add(50*time.Hour), time.UTC); got != "in 2 days" { // 19:00 on the 1st to 21:00 on the 3rd
		t.Errorf("until in UTC = %q, want in 2 days", got)
	}
}

func TestBarBounds(t *testing.T) {
	st := Styles{accessible: true}
	for _, c := range []struct {
		used, limit int64
		want        string
	}{{0, 100, "[....]"}, {50, 100, "[##..]"}, {500, 100, "[####]"}, {10, 0, "[....]"}} {
		if got := bar(st, c.used, c.limit, 4); got != c.want {
			t.Errorf("bar(%d,%d) = %s, want %s", c.used, c.limit, got, c.want)
		}
	}
	if bar(st, 1, 1, 0) != "" || bar(st, 1, 1, -3) != "" {
		t.Error("non-positive width must render nothing")
	}
}

// TestTimesDefaultToTheLocalZone: a program started without Options.Location (payterm itself)
// shows times in time.Local, the zone TZ names.
func TestTimesDefaultToTheLocalZone(t *testing.T) {
	m := New(nil, Options{disableIdleTicker: true, disableChangeFeed: true}).(*app)
	if m.c.loc != time.Local {
		t.Fatalf("default location = %v, want time.Local", m.c.loc)
	}
	dubai := time.FixedZone("+04", 4*3600)
	if m := New(nil, Options{Location: dubai}).(*app); m.c.loc != dubai {
		t.Fatalf("Options.Location ignored: %v", m.c.loc)
	}
	at := time.Date(2030, 1, 15, 22, 17, 0, 0, time.UTC)
	if got := stamp(at, dubai); got != "2030-01-16 02:17" {
		t.Fatalf("stamp in Dubai = %q", got)
	}
	if got := zoned(at, time.UTC); got != "2030-01-15 22:17 UTC" {
		t.Fatalf("zoned in UTC = %q", got)
	}
}
