package xs2a

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"testing"
)

// fmtAny renders v every way a leak could happen: %+v, %#v, JSON, and a request's body as text.
func fmtAny(v any) string {
	j, _ := json.Marshal(v)
	s := fmt.Sprintf("%+v %#v %s", v, v, j)
	if r, ok := v.(*Request); ok {
		s += " " + string(r.Body) + " " + r.Signature.SigningString
	}
	return s
}

func qsealcOther(t testing.TB) (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
}
