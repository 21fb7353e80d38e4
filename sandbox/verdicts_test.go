package sandbox

import (
	"fmt"
	"slices"
	"testing"
)

// TestVerdictFeedKeepsTheLatestInOrder publishes past the feed's window several times over:
// RecentVerdicts returns the latest ones oldest first, VerdictFor finds the newest verdict of
// an id still kept and nothing of one that left the window, and a subscriber sees every one.
func TestVerdictFeedKeepsTheLatestInOrder(t *testing.T) {
	const window = 5
	b := &Bank{verdicts: newVerdictFeed(window)}
	ch, cancel := b.SubscribeVerdicts(100)
	defer cancel()
	ids := func(vs []Verdict) []string {
		var out []string
		for _, v := range vs {
			out = append(out, v.InteractionID)
		}
		return out
	}
	for i := range 13 {
		b.verdicts.publish(Verdict{InteractionID: fmt.Sprint("i", i), Status: i})
		want := []string{}
		for j := max(0, i+1-window); j <= i; j++ {
			want = append(want, fmt.Sprint("i", j))
		}
		if got := ids(b.RecentVerdicts(0)); !slices.Equal(got, want) {
			t.Fatalf("after %d: RecentVerdicts(0) = %v, want %v", i+1, got, want)
		}
		if got := ids(b.RecentVerdicts(2)); !slices.Equal(got, want[max(0, len(want)-2):]) {
			t.Fatalf("after %d: RecentVerdicts(2) = %v", i+1, got)
		}
	}
	b.verdicts.publish(Verdict{InteractionID: "i10", Status: 99}) // a second verdict for i10
	if v, ok := b.VerdictFor("i10"); !ok || v.Status != 99 {
		t.Errorf("VerdictFor(i10) = %+v %v, want the newer one", v, ok)
	}
	if v, ok := b.VerdictFor("i9"); !ok || v.Status != 9 {
		t.Errorf("VerdictFor(i9) = %+v %v", v, ok)
	}
	if _, ok := b.VerdictFor("i8"); ok {
		t.Error("VerdictFor(i8) found a verdict that left the window")
	}
	if len(ch) != 14 {
		t.Errorf("subscriber got %d verdicts, want 14", len(ch))
	}
}
