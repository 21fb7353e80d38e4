package lfi_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/payterm/payterm/lfi"
)

// Wiring one bank and sending one payment. The signing key may be any crypto.Signer (an
// HSM later); the transport key likewise.
func Example() {
	var (
		signingKey, transportKey crypto.Signer // the TPP's keys
		transportCertPEM         []byte        // Trust Framework transport certificate
		roots                    *x509.CertPool
		userToken                lfi.Secret // consent-bound access token (consent package)
	)
	signer, err := lfi.NewSigner(signingKey, "tpp-signing-kid")
	if err != nil {
		return
	}
	hc, err := lfi.NewMTLSClient(transportCertPEM, transportKey, roots)
	if err != nil {
		return
	}
	c, err := lfi.New(lfi.Config{
		DiscoveryURL:    "https://auth1.bank.example/.well-known/openid-configuration",
		Issuer:          "https://auth1.bank.example",
		ResourceBaseURL: "https://rs1.bank.example/open-finance/payment/v2.1",
		ClientID:        "client-id", Signer: signer, HTTPClient: hc,
		Observer: func(e lfi.Exchange) { fmt.Println(e.Op, e.Status, e.InteractionID) },
	})
	if err != nil {
		return
	}
	ctx := context.Background()
	pii, err := c.SealPII(ctx, []byte(`{"Initiation":{…},"Risk":{…}}`))
	if err != nil {
		return
	}
	body, err := c.SignPayment([]byte(`{"Data":{"ConsentId":"…","PersonalIdentifiableInformation":"` + pii + `"}}`))
	if err != nil {
		return
	}
	// Persist body and key before sending; a retry resends exactly them.
	p, err := c.CreatePayment(ctx, userToken, lfi.SignedPayment{IdempotencyKey: "uuid", Body: body,
		AuthDate: time.Now(), CustomerIP: "203.0.113.7"})
	switch {
	case errors.Is(err, lfi.ErrOutcomeUnknown):
		p, err = c.GetPaymentByIdempotencyKey(ctx, "uuid") // reconcile, never report "failed"
	case err != nil:
		return
	}
	_ = p
}
