package totpkey

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

const testKey = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

func codeOf(t *testing.T, step int64) string {
	t.Helper()
	c, err := RFC6238(testKey, time.Unix(step*period, 0))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRFC6238Vector: the default code is RFC 6238 appendix B's SHA-1 vector (6-digit form).
func TestRFC6238Vector(t *testing.T) {
	const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // base32 of "12345678901234567890"
	for at, want := range map[int64]string{59: "287082", 1111111109: "081804", 2000000000: "279037"} {
		if got, err := RFC6238(secret, time.Unix(at, 0)); err != nil || got != want {
			t.Errorf("T=%d: %q, %v; want %s", at, got, err, want)
		}
	}
}

// TestNextNeverRepeatsAStep: the wallet accepts a code once, so codes come from increasing
// steps, never more than one step ahead of the clock.
func TestNextNeverRepeatsAStep(t *testing.T) {
	now := time.Unix(1_800_000_000, 0) // 0 s into a step
	src, err := NewSource(testKey, Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	cur := now.Unix() / period
	ctx := context.Background()
	for i, step := range []int64{cur, cur + 1} {
		code, err := src.Next(ctx)
		if err != nil || code != codeOf(t, step) {
			t.Fatalf("code %d = %q, %v; want the code of step %+d", i+1, code, err, step-cur)
		}
	}
	// Both usable steps are spent: the next code needs the clock to move on.
	ctx2, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if code, err := src.Next(ctx2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a third code %q (%v) within one step, want a wait ended by ctx", code, err)
	}
	now = now.Add(period * time.Second)
	if code, err := src.Next(ctx); err != nil || code != codeOf(t, cur+2) {
		t.Fatalf("after the clock moved: %q, %v; want step +2", code, err)
	}
	// Near the end of a step the next step's code is used instead (it must not expire in flight).
	late, err := NewSource(testKey, Options{Now: func() time.Time { return time.Unix((cur+10)*period+28, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	if code, err := late.Next(ctx); err != nil || code != codeOf(t, cur+11) {
		t.Fatalf("late in a step: %q, %v; want the next step's code", code, err)
	}
}

// TestNextWaitsForTheNextStep: with both usable steps spent it sleeps exactly until the step
// after the used one begins (plus wakeAfter), then hands out that step's code.
func TestNextWaitsForTheNextStep(t *testing.T) {
	now := time.Unix(1_800_000_000+10, 0) // 10 s into a step
	cur := now.Unix() / period
	var slept []time.Duration
	src, err := NewSource(testKey, Options{
		Now: func() time.Time { return now },
		Sleep: func(_ context.Context, d time.Duration) error {
			slept = append(slept, d)
			now = now.Add(d)
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 4 {
		code, err := src.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, code)
	}
	want := []string{codeOf(t, cur), codeOf(t, cur+1), codeOf(t, cur+2), codeOf(t, cur+3)}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("codes %v, want steps 0..3 %v", got, want)
	}
	// Third code: step cur+2 is usable once cur+1 begins, 20 s away; the fourth waits a step more.
	if wantSlept := []time.Duration{20*time.Second + wakeAfter, 30 * time.Second}; fmt.Sprint(slept) != fmt.Sprint(wantSlept) {
		t.Fatalf("slept %v, want %v", slept, wantSlept)
	}
}

// TestNextCodeFuncAndErrors: an injected code function (e2e's oathtool) is asked for the
// step's start time; its error and a cancelled wait come back wrapped, never with the key.
func TestNextCodeFuncAndErrors(t *testing.T) {
	now := time.Unix(1_800_000_015, 0)
	var asked []time.Time
	src, err := NewSource(testKey, Options{
		Now: func() time.Time { return now },
		Code: func(key string, at time.Time) (string, error) {
			if key != testKey {
				t.Errorf("code func got another key")
			}
			asked = append(asked, at)
			if len(asked) == 2 {
				return "", errors.New("oathtool: broken")
			}
			return "123456", nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if code, err := src.Next(context.Background()); err != nil || code != "123456" || !asked[0].Equal(time.Unix(1_800_000_000, 0)) {
		t.Fatalf("Next = %q, %v; asked for %v", code, err, asked)
	}
	_, err = src.Next(context.Background())
	if err == nil || !strings.Contains(err.Error(), "oathtool: broken") || strings.Contains(err.Error(), testKey) {
		t.Fatalf("code func error came back as %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// The failed step was not spent: it is handed out again (to a cancelled context here, which
	// a usable step does not need).
	if _, err := src.Next(ctx); err != nil {
		t.Fatalf("a retry of the failed step: %v", err)
	}
	if _, err := src.Next(ctx); !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), testKey) {
		t.Fatalf("a cancelled wait: %v", err)
	}
}

func TestNewSourceRejectsBadKeys(t *testing.T) {
	for _, key := range []string{"", "ABC", "abcdefghijklmnop", "ABCDEFGHIJKLMNOP0", "ABCD EFGH"} {
		if _, err := NewSource(key, Options{}); err == nil {
			t.Errorf("NewSource(%q) accepted", key)
		}
	}
}

// TestSourceRedactsTheKey: printing or logging a Source never shows the key.
func TestSourceRedactsTheKey(t *testing.T) {
	src, err := NewSource(testKey, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "src", src)
	for _, s := range []string{fmt.Sprint(src), fmt.Sprintf("%v %+v %s", src, src, src), b.String()} {
		if strings.Contains(s, testKey) || strings.Contains(s, testKey[:8]) {
			t.Errorf("the key shows: %s", s)
		}
	}
}
