package keystore

import (
	"fmt"

	"golang.org/x/crypto/argon2"
)

// KDFParams are argon2id costs. They travel with what they protect, so stronger defaults can
// be adopted later without breaking existing files.
type KDFParams struct {
	Time      uint32 `json:"t"`
	MemoryKiB uint32 `json:"m"`
	Threads   uint8  `json:"p"`
}

var (
	// OWASPMinimum is the floor production code accepts (OWASP Password Storage Cheat Sheet:
	// argon2id m=19 MiB, t=2, p=1).
	OWASPMinimum = KDFParams{Time: 2, MemoryKiB: 19 * 1024, Threads: 1}
	// RFC9106Second is RFC 9106 §4's second recommendation (t=3, 64 MiB, p=4), ~0.3 s on two
	// cores: the default for secrets derived once per wallet start or once per payment.
	RFC9106Second = KDFParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 4}
	// maxKDF bounds parameters read back from disk so an edited file cannot make us allocate
	// large memory or spin for minutes: about 4× the cost we write (RFC9106Second), a few seconds
	// at worst. (At t=64, 4 GiB an edited header stalled Open for minutes; the fuzzer found it.)
	maxKDF = KDFParams{Time: 8, MemoryKiB: 256 * 1024, Threads: 16}
)

// KeyLen is the derived key size (AES-256).
const KeyLen = 32

// Check refuses parameters that are malformed, absurdly large, or (unless allowWeak, which
// only tests set) below the OWASP minimum.
func (p KDFParams) Check(allowWeak bool) error {
	if p.Time < 1 || p.Threads < 1 || p.MemoryKiB < 8*uint32(p.Threads) {
		return fmt.Errorf("argon2id parameters t=%d m=%dKiB p=%d are malformed", p.Time, p.MemoryKiB, p.Threads)
	}
	if p.Time > maxKDF.Time || p.MemoryKiB > maxKDF.MemoryKiB || p.Threads > maxKDF.Threads {
		return fmt.Errorf("argon2id parameters t=%d m=%dKiB p=%d exceed the accepted maximum", p.Time, p.MemoryKiB, p.Threads)
	}
	if !allowWeak && (p.MemoryKiB < OWASPMinimum.MemoryKiB || p.Time < OWASPMinimum.Time) {
		return fmt.Errorf("argon2id parameters t=%d m=%dKiB are below the OWASP minimum t=%d m=%dKiB",
			p.Time, p.MemoryKiB, OWASPMinimum.Time, OWASPMinimum.MemoryKiB)
	}
	return nil
}

// Derive runs argon2id over secret and salt. Check the parameters first.
func (p KDFParams) Derive(secret, salt []byte) []byte {
	return argon2.IDKey(secret, salt, p.Time, p.MemoryKiB, p.Threads, KeyLen)
}
