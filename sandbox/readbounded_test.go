package sandbox

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// FuzzReadBounded: whatever length the request declares (absent, right, short, long or
// absurd) and however the body arrives, readBounded returns what io.ReadAll of the same
// bounded body returns: the declared length only sizes the buffer.
func FuzzReadBounded(f *testing.F) {
	f.Add([]byte("eyJhbGciOiJQUzI1NiJ9.e30.c2ln"), int64(29), 64, uint8(0))
	f.Add([]byte("eyJhbGciOiJQUzI1NiJ9.e30.c2ln"), int64(-1), 64, uint8(1))
	f.Add([]byte("0123456789"), int64(3), 5, uint8(2))
	f.Add([]byte("0123456789"), int64(1<<40), 10, uint8(0))
	f.Add(bytes.Repeat([]byte("x"), 2000), int64(2000), 1999, uint8(1))
	f.Add([]byte{}, int64(0), 0, uint8(0))
	f.Fuzz(func(t *testing.T, body []byte, declared int64, max int, how uint8) {
		if max < 0 || max > 1<<16 {
			return
		}
		reader := func() io.Reader {
			switch how % 3 {
			case 1:
				return iotest.OneByteReader(bytes.NewReader(body))
			case 2:
				return iotest.HalfReader(bytes.NewReader(body))
			}
			return bytes.NewReader(body)
		}
		want, _ := io.ReadAll(io.LimitReader(reader(), int64(max)+1))
		got, err := readBounded(reader(), declared, max)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("declared %d, max %d: read %d bytes, want %d", declared, max, len(got), len(want))
		}
	})
}

// TestReadBoundedReportsAReadError: a body that fails midway is an error, not a short body.
func TestReadBoundedReportsAReadError(t *testing.T) {
	broken := errors.New("connection reset")
	r := io.MultiReader(bytes.NewReader([]byte("eyJhbGci")), iotest.ErrReader(broken))
	if _, err := readBounded(r, 100, 1000); !errors.Is(err, broken) {
		t.Fatalf("err %v, want %v", err, broken)
	}
}
