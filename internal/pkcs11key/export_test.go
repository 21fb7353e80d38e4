//go:build cgo

package pkcs11key

import (
	"crypto"

	"github.com/ThalesGroup/crypto11"
)

// Attributes reads the boolean attributes the tests check on a private key the token made.
func Attributes(t *Token, k crypto.Signer) (map[string]bool, error) {
	names := map[crypto11.AttributeType]string{crypto11.CkaSensitive: "sensitive", crypto11.CkaExtractable: "extractable",
		crypto11.CkaSign: "sign", crypto11.CkaDecrypt: "decrypt", crypto11.CkaToken: "token", crypto11.CkaPrivate: "private"}
	var types []crypto11.AttributeType
	for a := range names {
		types = append(types, a)
	}
	set, err := t.ctx.GetAttributes(k, types)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for a, name := range names {
		if v, ok := set[a]; ok && len(v.Value) == 1 {
			out[name] = v.Value[0] != 0
		}
	}
	return out, nil
}
