package lfi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode"
)

// SignedPayment is a ready-to-send POST /payments request. Body holds the signed JWS bytes
// (SignPayment); a retry, even after a crash, must resend exactly these bytes with the same
// IdempotencyKey.
type SignedPayment struct {
	IdempotencyKey string
	Body           []byte
	AuthDate       time.Time // when the user last authenticated with us (x-fapi-auth-date)
	CustomerIP     string    // x-fapi-customer-ip-address
	UserAgent      string    // x-customer-user-agent (optional)
}

func (p SignedPayment) check() error {
	if err := checkIdempotencyKey(p.IdempotencyKey); err != nil {
		return err
	}
	if strings.Count(string(p.Body), ".") != 2 {
		return errors.New("body is not a compact JWS")
	}
	if p.AuthDate.IsZero() {
		return errors.New("auth date (time of the user's SCA) is required")
	}
	if _, err := netip.ParseAddr(p.CustomerIP); err != nil {
		return errors.New("customer IP address is not an IPv4 or IPv6 address")
	}
	if len(p.UserAgent) > 512 || strings.IndexFunc(p.UserAgent, func(r rune) bool { return r > unicode.MaxASCII || !unicode.IsPrint(r) }) >= 0 {
		return errors.New("user agent is longer than 512 characters or not printable ASCII")
	}
	return nil
}

func checkIdempotencyKey(k string) error {
	if k == "" || len(k) > 40 || strings.IndexFunc(k, func(r rune) bool { return unicode.IsSpace(r) || r > unicode.MaxASCII || !unicode.IsPrint(r) }) >= 0 {
		return errors.New("idempotency key must be 1–40 printable characters without whitespace")
	}
	return nil
}

// CreatePayment posts a signed payment with the user's consent-bound access token. 5xx and
// network failures are retried with the same key and bytes; when the outcome stays unknown
// the error matches ErrOutcomeUnknown and the caller must reconcile by idempotency key.
func (c *Client) CreatePayment(ctx context.Context, userToken Secret, p SignedPayment) (*Payment, error) {
	const op = "create payment"
	if !validToken(userToken.Reveal()) {
		return nil, fmt.Errorf("%s: access token is empty or not a printable token", op)
	}
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	h := http.Header{
		"Authorization":              {"Bearer " + userToken.Reveal()},
		"Accept":                     {"application/jwt"},
		"X-Idempotency-Key":          {p.IdempotencyKey},
		"X-Fapi-Auth-Date":           {p.AuthDate.UTC().Format(http.TimeFormat)},
		"X-Fapi-Customer-Ip-Address": {p.CustomerIP},
	}
	if p.UserAgent != "" {
		h.Set("X-Customer-User-Agent", p.UserAgent)
	}
	body := p.Body
	sent := decodeJOSEWithNested("payment request", string(body))
	var pay *Payment
	err := c.resource(ctx, call{op: op, method: http.MethodPost, url: c.resourceURL("payments"), header: h,
		idempotent: true, sideEffects: true,
		body: func() (attemptBody, error) {
			return attemptBody{bytes: body, contentType: "application/jwt", sent: sent}, nil
		}}, http.StatusCreated, func(r *response, v *Verified) error {
		if echo := r.header.Get("X-Idempotency-Key"); echo != "" && echo != p.IdempotencyKey {
			return errors.New("the bank echoed a different x-idempotency-key")
		}
		var err error
		if pay, err = decodePayment(v.Message); err != nil {
			return err
		}
		pay.InteractionID, pay.Location = r.interactionID, r.header.Get("Location")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return pay, nil
}

// GetPayment reads a payment with the TPP's client_credentials token.
func (c *Client) GetPayment(ctx context.Context, paymentID string) (*Payment, error) {
	const op = "get payment"
	if err := checkID("payment id", paymentID, 40); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var pay *Payment
	err := c.withClientToken(ctx, func(tok Secret) error {
		return c.resource(ctx, call{op: op, method: http.MethodGet, url: c.resourceURL("payments", paymentID),
			header: bearer(tok), idempotent: true}, http.StatusOK, func(r *response, v *Verified) error {
			var err error
			if pay, err = decodePayment(v.Message); err != nil {
				return err
			}
			if pay.PaymentID != paymentID {
				return errors.New("the bank returned a different PaymentId")
			}
			pay.InteractionID = r.interactionID
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return pay, nil
}

// GetPaymentByIdempotencyKey finds the payment created with key (GET /payments with
// x-idempotency-key), then reads it. ErrNotFound means the bank has no payment for the key.
func (c *Client) GetPaymentByIdempotencyKey(ctx context.Context, key string) (*Payment, error) {
	const op = "find payment by idempotency key"
	if err := checkIdempotencyKey(key); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var id string
	err := c.withClientToken(ctx, func(tok Secret) error {
		h := bearer(tok)
		h.Set("X-Idempotency-Key", key)
		return c.resource(ctx, call{op: op, method: http.MethodGet, url: c.resourceURL("payments"), header: h, idempotent: true},
			http.StatusOK, func(r *response, v *Verified) error {
				self, err := decodeIdempotencyLookup(v)
				if err != nil {
					return err
				}
				id, err = paymentIDFromSelf(self)
				return err
			})
	})
	if err != nil {
		return nil, err
	}
	return c.GetPayment(ctx, id)
}

// paymentIDFromSelf takes the PaymentId from a payment URL. Only the id is used: we read it
// at our configured base, never by following a URL the bank chose with our token.
func paymentIDFromSelf(self string) (string, error) {
	u, err := url.Parse(self)
	if err != nil {
		return "", errors.New("idempotency lookup: Links.Self is not a URL")
	}
	dir, id := path.Split(strings.TrimRight(u.Path, "/"))
	if !strings.HasSuffix(dir, "/payments/") {
		return "", errors.New("idempotency lookup: Links.Self is not a payment URL")
	}
	if err := checkID("idempotency lookup: PaymentId", id, 40); err != nil {
		return "", err
	}
	return id, nil
}

// GetConsent reads a payment consent with the TPP's client_credentials token.
func (c *Client) GetConsent(ctx context.Context, consentID string) (*Consent, error) {
	const op = "get consent"
	if err := checkID("consent id", consentID, 128); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var cons *Consent
	err := c.withClientToken(ctx, func(tok Secret) error {
		return c.resource(ctx, call{op: op, method: http.MethodGet, url: c.resourceURL("payment-consents", consentID),
			header: bearer(tok), idempotent: true}, http.StatusOK, func(r *response, v *Verified) error {
			var err error
			if cons, err = decodeConsent(v.Message); err != nil {
				return err
			}
			if cons.ConsentID != consentID {
				return errors.New("the bank returned a different ConsentId")
			}
			cons.InteractionID = r.interactionID
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return cons, nil
}

// Revokers allowed in PATCH /payment-consents.
const (
	RevokedByTPP              = "TPP"
	RevokedByTPPInitiatedUser = "TPP.InitiatedByUser"
)

// RevokeConsent sends the signed PATCH setting the consent to Revoked and returns the
// x-fapi-interaction-id of the successful call. Not retried on 5xx or network errors (a
// second PATCH on a revoked consent is an error); check with GetConsent when the outcome
// is unknown.
func (c *Client) RevokeConsent(ctx context.Context, consentID, revokedBy string) (string, error) {
	const op = "revoke consent"
	if err := checkID("consent id", consentID, 128); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	if revokedBy != RevokedByTPP && revokedBy != RevokedByTPPInitiatedUser {
		return "", fmt.Errorf("%s: RevokedBy must be %q or %q", op, RevokedByTPP, RevokedByTPPInitiatedUser)
	}
	jti, err := c.NewUUID()
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	msg := fmt.Sprintf(`{"Data":{"Status":"Revoked","RevokedBy":%q}}`, revokedBy)
	body, err := signMessage(c.cfg.Signer, c.cfg.ClientID, c.cfg.Issuer, c.clock(), jti, []byte(msg))
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	sent := decodeJOSEWithNested("consent patch", string(body))
	var iid string
	err = c.withClientToken(ctx, func(tok Secret) error {
		return c.resource(ctx, call{op: op, method: http.MethodPatch, url: c.resourceURL("payment-consents", consentID),
			header: bearer(tok), sideEffects: true,
			body: func() (attemptBody, error) {
				return attemptBody{bytes: body, contentType: "application/jwt", sent: sent}, nil
			}}, http.StatusNoContent, func(r *response, _ *Verified) error {
			iid = r.interactionID
			return nil
		})
	})
	if err != nil {
		return "", err
	}
	return iid, nil
}

func bearer(tok Secret) http.Header {
	return http.Header{"Authorization": {"Bearer " + tok.Reveal()}, "Accept": {"application/jwt"}}
}

// withClientToken runs fn with the cached client_credentials token; on 401 it drops the
// token and tries once more with a new one (a 401 means the bank did nothing).
func (c *Client) withClientToken(ctx context.Context, fn func(Secret) error) error {
	for try := 0; ; try++ {
		tok, err := c.clientToken(ctx)
		if err != nil {
			return err
		}
		err = fn(tok)
		if try == 0 && errors.Is(err, ErrUnauthorized) {
			c.dropClientToken(tok)
			continue
		}
		return err
	}
}

// resource runs a resource-server call: a response with status want is verified (unless
// 204) and handed to ok; anything else becomes a typed error. Signed error bodies are
// verified before their codes are read.
func (c *Client) resource(ctx context.Context, cl call, want int, ok func(*response, *Verified) error) error {
	return c.do(ctx, cl, c.resourceHandler(ctx, cl, want, ok))
}

// resourceHandler is resource's handling of the final response.
func (c *Client) resourceHandler(ctx context.Context, cl call, want int, ok func(*response, *Verified) error) func(*response) error {
	return func(r *response) error {
		unverifiable := func(err error) error {
			return &UnverifiableError{Op: cl.op, HTTPStatus: r.status, InteractionID: r.interactionID, Err: err}
		}
		if r.status == want {
			if want == http.StatusNoContent {
				return ok(r, nil)
			}
			v, err := c.verifyResponse(ctx, r.body, r.ex)
			if err != nil {
				return unverifiable(err)
			}
			if err := ok(r, v); err != nil {
				return unverifiable(err)
			}
			return nil
		}
		be := &BankError{Op: cl.op, HTTPStatus: r.status, InteractionID: r.interactionID,
			outcomeUnknown: cl.sideEffects && r.status >= 500}
		if r.status == http.StatusServiceUnavailable {
			be.RetryAfter = retryAfter(r.header, c.clock())
		}
		switch {
		case r.status >= 200 && r.status < 300:
			return unverifiable(fmt.Errorf("unexpected HTTP %d, want %d", r.status, want))
		case r.status == http.StatusTooManyRequests:
			be.RetryAfter = retryAfter(r.header, c.clock())
			return be
		case r.status == http.StatusUnauthorized || len(strings.TrimSpace(string(r.body))) == 0:
			return be
		}
		v, err := c.verifyResponse(ctx, r.body, r.ex)
		if err != nil {
			return unverifiable(err)
		}
		if v.Message == nil {
			return unverifiable(errors.New("error body: message missing"))
		}
		if be.Errors, err = decodeErrors(v.Message); err != nil {
			return unverifiable(err)
		}
		for i, it := range be.Errors {
			be.Errors[i].Message = scrub(it.Message, r.secrets)
			be.Errors[i].URL = scrub(it.URL, r.secrets)
			if it.Code == "JWE.InvalidHeader" || it.Code == "JWE.DecryptionError" {
				c.ForgetKeys() // our enc kid is likely stale: refetch the JWKS on next seal
			}
		}
		r.ex.BankErrors = append([]ErrorItem(nil), be.Errors...)
		return be
	}
}
