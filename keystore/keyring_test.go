package keystore

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

// go-keyring v0.2.8 has no MockRestore: every test here installs its own mock first, and the
// real Secret Service is exercised from the separate package ./secretservice.

// countingKeyring wraps the go-keyring mock, records the largest value written and can fail
// the n-th Set to simulate a crash or a full keyring in the middle of a chunked write.
type countingKeyring struct {
	sets, failAt int
	maxLen       int
}

func (c *countingKeyring) Get(s, u string) (string, error) { return keyring.Get(s, u) }
func (c *countingKeyring) Delete(s, u string) error        { return keyring.Delete(s, u) }
func (c *countingKeyring) Set(s, u, v string) error {
	c.sets++
	if c.failAt > 0 && c.sets == c.failAt {
		return errors.New("simulated keyring failure")
	}
	c.maxLen = max(c.maxLen, len(v))
	return keyring.Set(s, u, v)
}

func newMockKeyringStore(t *testing.T, kr backend) *keyringStore {
	t.Helper()
	keyring.MockInit()
	if kr == nil {
		kr = goKeyring{}
	}
	s, err := newKeyringStore(t.TempDir(), rand.Reader, kr)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKeyringRoundTripAcrossSizesStaysUnderPlatformLimits(t *testing.T) {
	ck := &countingKeyring{}
	s := newMockKeyringStore(t, ck)
	inlineMax := 0
	for n := 0; fitsInline(n); n++ {
		inlineMax = n
	}
	for _, n := range []int{0, 1, 32, inlineMax, inlineMax + 1, chunkRawBytes, chunkRawBytes + 1, 3 * chunkRawBytes, 10_000, 200_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			v := randomBytes(t, n)
			if err := s.Set("token.refresh", v); err != nil {
				t.Fatal(err)
			}
			got, err := s.Get("token.refresh")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, v) {
				t.Fatalf("round trip of %d bytes returned %d different bytes", n, len(got))
			}
		})
	}
	// Windows caps a blob at 2560 bytes; macOS base64-encodes again inside a 4096-byte command.
	if ck.maxLen > maxEntryChars || ck.maxLen > 2560 || ck.maxLen*4/3+200 > 4096 {
		t.Fatalf("largest keyring value was %d chars; over a platform limit", ck.maxLen)
	}
}

func TestKeyringOverwriteRemovesOldChunks(t *testing.T) {
	s := newMockKeyringStore(t, nil)
	if err := s.Set("blob", randomBytes(t, 5000)); err != nil {
		t.Fatal(err)
	}
	old, err := s.currentManifest("blob")
	if err != nil {
		t.Fatal(err)
	}
	v2 := randomBytes(t, 4000)
	if err := s.Set("blob", v2); err != nil {
		t.Fatal(err)
	}
	for i := range old.chunks {
		if _, err := keyring.Get(Service, s.chunkAccount("blob", old.gen, i)); !errors.Is(err, keyring.ErrNotFound) {
			t.Fatalf("old chunk %d still present (err %v)", i, err)
		}
	}
	got, err := s.Get("blob")
	if err != nil || !bytes.Equal(got, v2) {
		t.Fatalf("after overwrite got %d bytes, err %v", len(got), err)
	}
	if err := s.Delete("blob"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("blob"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v, want ErrNotFound", err)
	}
	if err := s.Delete("blob"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
}

func TestKeyringFailedChunkedWriteKeepsOldValue(t *testing.T) {
	for _, failAt := range []int{2, 5, 6} { // a middle chunk, the last chunk, the manifest flip
		t.Run(fmt.Sprint(failAt), func(t *testing.T) {
			ck := &countingKeyring{}
			s := newMockKeyringStore(t, ck)
			v1 := randomBytes(t, 3*chunkRawBytes)
			if err := s.Set("blob", v1); err != nil { // 3 chunks + manifest = 4 sets
				t.Fatal(err)
			}
			ck.sets, ck.failAt = 0, failAt                        // count afresh for the second write
			err := s.Set("blob", randomBytes(t, 5*chunkRawBytes)) // 5 chunks + manifest
			if err == nil {
				t.Fatal("write with a failing keyring succeeded")
			}
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			got, err := s.Get("blob")
			if err != nil || !bytes.Equal(got, v1) {
				t.Fatalf("after a failed write got %d bytes, err %v; want the old value", len(got), err)
			}
		})
	}
}

func TestKeyringDetectsMixedOrEditedChunks(t *testing.T) {
	s := newMockKeyringStore(t, nil)
	if err := s.Set("blob", randomBytes(t, 3*chunkRawBytes)); err != nil {
		t.Fatal(err)
	}
	m, _ := s.currentManifest("blob")
	acct := s.chunkAccount("blob", m.gen, 1)
	c, _ := keyring.Get(Service, acct)
	other := b64.EncodeToString(randomBytes(t, chunkRawBytes))
	if err := keyring.Set(Service, acct, other); err != nil || other == c {
		t.Fatal(err)
	}
	if _, err := s.Get("blob"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("edited chunk: %v, want ErrCorrupt", err)
	}
	if err := keyring.Delete(Service, acct); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("blob"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("missing chunk: %v, want ErrCorrupt", err)
	}
	if err := keyring.Set(Service, s.account("blob"), "plain text"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("blob"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("foreign manifest: %v, want ErrCorrupt", err)
	}
}

func TestKeyringDataDirsDoNotCollide(t *testing.T) {
	keyring.MockInit()
	a, _ := newKeyringStore(t.TempDir(), rand.Reader, goKeyring{})
	b, _ := newKeyringStore(t.TempDir(), rand.Reader, goKeyring{})
	if err := a.Set("totp", []byte("A")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get("totp"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second data dir sees the first one's secret: %v", err)
	}
}

func TestKeyringErrorsOtherThanNotFoundMeanUnavailable(t *testing.T) {
	keyring.MockInitWithError(errors.New("org.freedesktop.secrets was not provided by any .service files"))
	s, _ := newKeyringStore(t.TempDir(), rand.Reader, goKeyring{})
	if _, err := s.Get("x"); !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrNotFound) {
		t.Fatalf("Get: %v", err)
	}
	if err := s.Set("x", []byte("v")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Set: %v", err)
	}
	if err := s.probe(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("probe: %v", err)
	}
}

func TestInvalidNamesRefused(t *testing.T) {
	s := newMockKeyringStore(t, nil)
	for _, n := range []string{"", "A", "../x", "a/b", "a#1", strings.Repeat("a", 65), "a b"} {
		if err := s.Set(n, []byte("v")); err == nil {
			t.Errorf("Set(%q) accepted", n)
		}
	}
}

func FuzzParseManifest(f *testing.F) {
	small := manifest{inline: []byte("hello"), length: 5}
	f.Add(small.encode())
	f.Add(manifestPrefix + "c:0123456789abcdef:2:1400:" + b64url.EncodeToString(make([]byte, 32)))
	f.Add(manifestPrefix + "c:0123456789abcdef:0:0:")
	f.Add(manifestPrefix + "i::")
	f.Add("ptks9:x")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseManifest(s)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		if m.gen == "" && !m.sumMatches(m.inline) {
			t.Fatal("accepted inline value with a bad checksum")
		}
		if m.gen != "" && (m.chunks < 1 || m.chunks > maxChunks || m.length > m.chunks*chunkRawBytes) {
			t.Fatalf("accepted inconsistent manifest %+v", m)
		}
	})
}
