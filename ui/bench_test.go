package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// drive runs cmd and every command it leads to synchronously, feeding results to m. Only for
// models whose commands return promptly (the idle ticker is disabled).
func drive(m tea.Model, cmd tea.Cmd) tea.Model {
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			var next tea.Cmd
			m, next = m.Update(msg)
			queue = append(queue, next)
		}
	}
	return m
}

func press(m tea.Model, keys ...string) tea.Model {
	for _, k := range keys {
		var msg tea.KeyMsg
		switch k {
		case "enter":
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		case "tab":
			msg = tea.KeyMsg{Type: tea.KeyTab}
		case "pgdown":
			msg = tea.KeyMsg{Type: tea.KeyPgDown}
		default:
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		}
		var cmd tea.Cmd
		m, cmd = m.Update(msg)
		m = drive(m, cmd)
	}
	return m
}

// newDriven builds the production root model on a fake with n payments, sized 100×40.
func newDriven(n int) tea.Model {
	fw := newFakeWallet(func() time.Time { return fakeBase }, n)
	m := New(fw, Options{Clock: func() time.Time { return fakeBase }, disableIdleTicker: true, disableChangeFeed: true})
	m, _ = m.Update(tea.WindowSizeMsg{Width: 100, Height: 40})
	return drive(m, m.Init())
}

func homeModel(n int) tea.Model { return newDriven(n) }

func payModel(n int) tea.Model {
	m := press(newDriven(n), "p", "tab", "1", "2", "5", "0", "tab", "tab", "m", "w", "p", "enter")
	return m
}

func historyModel(n int, pages int) tea.Model {
	m := press(newDriven(n), "h")
	for range pages {
		m = press(m, "pgdown")
	}
	return m
}

func benchView(b *testing.B, m tea.Model) {
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = m.View()
	}
}

func BenchmarkHomeView(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		b.Run(fmt.Sprintf("payments=%d", n), func(b *testing.B) { benchView(b, homeModel(n)) })
	}
}

func BenchmarkPayView(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		b.Run(fmt.Sprintf("payments=%d", n), func(b *testing.B) { benchView(b, payModel(n)) })
	}
}

// BenchmarkHistoryView: payments=100 is the baseline; the frame at 100,000 payments, also deep
// in the history, must cost the same (the table renders only visible rows from a bounded window).
func BenchmarkHistoryView(b *testing.B) {
	for _, c := range []struct{ n, pages int }{{100, 0}, {100_000, 0}, {100_000, 300}} {
		b.Run(fmt.Sprintf("payments=%d/pagesdown=%d", c.n, c.pages), func(b *testing.B) { benchView(b, historyModel(c.n, c.pages)) })
	}
}

// BenchmarkFirstFrameOnFakeWallet measures the screens' own share of a start: New, the
// start-up load from the fake wallet (uifake-like, in memory) and the first View. The fake keeps
// its payments in a slice and sums what the consent paid by scanning it (the core reads an
// indexed sum), so each iteration also times the fake's Overview alone: µs-screens is the
// median of the start less that, the part that must not grow with the payments. The real
// binary's first frame is internal/firstframe's BenchmarkFirstFrame.
func BenchmarkFirstFrameOnFakeWallet(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		fw := newFakeWallet(func() time.Time { return fakeBase }, n)
		b.Run(fmt.Sprintf("payments=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var screens, fake []float64
			for b.Loop() {
				t0 := time.Now()
				m := New(fw, Options{Clock: func() time.Time { return fakeBase }, disableIdleTicker: true, disableChangeFeed: true})
				m, _ = m.Update(tea.WindowSizeMsg{Width: 100, Height: 40})
				m = drive(m, m.Init())
				_ = m.View()
				t1 := time.Now()
				if _, err := fw.Overview(context.Background()); err != nil {
					b.Fatal(err)
				}
				ov := time.Since(t1)
				screens = append(screens, float64((t1.Sub(t0) - ov).Microseconds()))
				fake = append(fake, float64(ov.Microseconds()))
			}
			b.ReportMetric(medianOf(screens), "µs-screens")
			b.ReportMetric(medianOf(fake), "µs-fake-overview")
		})
	}
}

func medianOf(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestHistoryFrameIndependentOfN is the non-timing proof: the same screen at 1,000 and 100,000
// payments (and deep in the latter) renders the same number of rows with the same allocations,
// and the in-memory window stays bounded.
func TestHistoryFrameIndependentOfN(t *testing.T) {
	small := historyModel(1_000, 0)
	large := historyModel(100_000, 0)
	deep := historyModel(100_000, 300)
	// AllocsPerRun counts every goroutine's allocations; background work (another test's
	// program winding down) only ever adds, so the minimum of a few trials is the frame's cost.
	allocs := func(m tea.Model) float64 {
		best := -1.0
		for range 5 {
			if n := testing.AllocsPerRun(20, func() { _ = m.View() }); best < 0 || n < best {
				best = n
			}
		}
		return best
	}
	a, b, c := allocs(small), allocs(large), allocs(deep)
	if b > a*1.1+2 || c > a*1.1+2 {
		t.Fatalf("View allocations grow with N: 1k=%v 100k=%v 100k-deep=%v", a, b, c)
	}
	hs := deep.(*app).top().(*historyScreen)
	if len(hs.rows) > historyWindow {
		t.Fatalf("window holds %d rows, cap %d", len(hs.rows), historyWindow)
	}
	if hs.base+hs.cursor < 300*30 {
		t.Fatalf("300 pages down only reached row %d", hs.base+hs.cursor)
	}
	if len(small.View()) == 0 || countLines(small.View()) != countLines(deep.View()) {
		t.Fatal("frames differ in height")
	}
}

func countLines(s string) int {
	n := 1
	for _, r := range s {
		if r == '\n' {
			n++
		}
	}
	return n
}

// TestBenchModelsReachTheirScreens guards the benchmarks: each measures the screen it names.
func TestBenchModelsReachTheirScreens(t *testing.T) {
	for name, c := range map[string]struct {
		m    tea.Model
		want string
	}{
		"home":    {homeModel(10), "Recent payments"},
		"pay":     {payModel(10), "You are about to pay"},
		"history": {historyModel(1000, 3), "of 1000"},
	} {
		if v := c.m.View(); !contains(v, c.want) {
			t.Errorf("%s model shows:\n%s", name, v)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
