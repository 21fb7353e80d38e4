package keystore

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// A keyring value is either stored inline in its manifest entry or split into chunks that
// live under a fresh generation id; the manifest names the generation, the chunk count, the
// length and a SHA-256 of the whole value. Writing a new manifest is the single atomic
// switch, so a reader sees either the old value or the new one, never a mix.

const (
	manifestPrefix = "ptks1:"
	// maxEntryChars bounds every string handed to the keyring. Windows caps a credential blob
	// at 2560 bytes; macOS caps the whole `security -i` command at 4096 bytes after
	// base64-encoding the value again (1800 → 2400 chars + service/account/command). 1800
	// leaves room on both.
	maxEntryChars = 1800
	// chunkRawBytes is how many value bytes fit in one chunk entry once base64 encoded.
	chunkRawBytes = maxEntryChars / 4 * 3
	// maxChunks bounds what a reader will fetch for one value (~1.3 MB), so a corrupt
	// manifest cannot make it loop for ever.
	maxChunks = 1000
	genBytes  = 8
)

type manifest struct {
	inline []byte // value when stored inline; nil for a chunked value
	gen    string // hex generation id of the chunks
	chunks int
	length int
	sum    [sha256.Size]byte
}

var b64 = base64.StdEncoding
var b64url = base64.RawURLEncoding

func (m manifest) encode() string {
	sum := b64url.EncodeToString(m.sum[:])
	if m.gen == "" {
		return manifestPrefix + "i:" + sum + ":" + b64.EncodeToString(m.inline)
	}
	return manifestPrefix + "c:" + m.gen + ":" + strconv.Itoa(m.chunks) + ":" + strconv.Itoa(m.length) + ":" + sum
}

// fitsInline reports whether a value of n bytes fits in a manifest entry.
func fitsInline(n int) bool {
	return len(manifestPrefix)+len("i:")+b64url.EncodedLen(sha256.Size)+1+b64.EncodedLen(n) <= maxEntryChars
}

// parseManifest reads a manifest entry. Keyring content is untrusted input: anything odd is
// ErrCorrupt, never a panic.
func parseManifest(s string) (manifest, error) {
	var m manifest
	bad := func(why string) (manifest, error) {
		return manifest{}, fmt.Errorf("%w: manifest %s", ErrCorrupt, why)
	}
	rest, ok := strings.CutPrefix(s, manifestPrefix)
	if !ok {
		return bad("has an unknown version")
	}
	kind, rest, ok := strings.Cut(rest, ":")
	if !ok {
		return bad("is truncated")
	}
	switch kind {
	case "i":
		sum, data, ok := strings.Cut(rest, ":")
		if !ok {
			return bad("is truncated")
		}
		if err := decodeSum(sum, &m.sum); err != nil {
			return bad("has a malformed checksum")
		}
		v, err := b64.Strict().DecodeString(data)
		if err != nil {
			return bad("has malformed inline data")
		}
		if v == nil {
			v = []byte{}
		}
		m.inline, m.length = v, len(v)
		if !m.sumMatches(v) {
			return bad("checksum does not match")
		}
		return m, nil
	case "c":
		f := strings.Split(rest, ":")
		if len(f) != 4 {
			return bad("has the wrong number of fields")
		}
		if len(f[0]) != 2*genBytes {
			return bad("has a malformed generation")
		}
		if _, err := hex.DecodeString(f[0]); err != nil || strings.ToLower(f[0]) != f[0] {
			return bad("has a malformed generation")
		}
		n, err1 := strconv.Atoi(f[1])
		l, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || n < 1 || n > maxChunks || l < 0 || l > n*chunkRawBytes || l <= (n-1)*chunkRawBytes {
			return bad("has inconsistent sizes")
		}
		if err := decodeSum(f[3], &m.sum); err != nil {
			return bad("has a malformed checksum")
		}
		m.gen, m.chunks, m.length = f[0], n, l
		return m, nil
	default:
		return bad("has an unknown kind")
	}
}

func decodeSum(s string, dst *[sha256.Size]byte) error {
	b, err := b64url.Strict().DecodeString(s)
	if err != nil || len(b) != sha256.Size {
		return fmt.Errorf("bad checksum")
	}
	copy(dst[:], b)
	return nil
}

func (m manifest) sumMatches(v []byte) bool {
	got := sha256.Sum256(v)
	return len(v) == m.length && subtle.ConstantTimeCompare(got[:], m.sum[:]) == 1
}
