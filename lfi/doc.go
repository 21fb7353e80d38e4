// Package lfi is the bank (LFI and API Hub) as the TPP sees it under UAE Open Finance v2.1:
// discovery and JWKS cache, the mTLS transport, JOSE (PS256 signing, PII sealing, response
// verification), the client assertion, the HTTP calls (PAR, token, payments, consents) and the
// mapping of the bank's answers to typed errors.
//
// Nothing read from the bank is trusted before it is verified: a signed response whose
// signature, kid, alg, iss (the issuer, or Config.ResponseIssuer), aud (when present: our
// client id) or exp does not check out yields an error that matches ErrUnverifiable (and
// ErrOutcomeUnknown), never a decoded value. The bank's own words (Errors[].Message,
// error_description) are kept bounded on the typed errors and in each Exchange, uncleaned.
//
// A Retry-After on a 429 or 503 holds back every later call of the Client until it has passed
// (wait.go): a call sits the rest out when it fits the call's limit (Config.MaxRetryAfter, or
// WithMaxWait), telling WithWaitObserver first, and otherwise returns a *WaitError without
// sending anything. A 429 is never an unknown outcome; a 503 on a call with effects is.
//
// Identifiers and codes are checked where they are decoded (idents.go), because they are
// stored, printed on receipts, exported and sent back: ids (PaymentId, ConsentId, …) are
// printable ASCII without / ? #, error codes are the standard's (GenericError,
// GenericRecoverableError or Namespace.Code), statuses and other enum members are letters,
// digits and . _ -, links are printable ASCII, a JWK or JWS kid is printable ASCII. A signed
// answer that breaks one is unverifiable like any other malformed answer, so no control
// character, C1 control or bidi override reaches the wallet by way of an id. An OAuth error
// code outside RFC 6749's character set is dropped. Free text (Errors[].Message, reject
// messages, error_description) is kept and cleaned where it is shown (internal/safetext); the
// Error strings of this package carry no raw bank text.
//
// An id_token from the token endpoint is checked by Client.VerifyIDToken (PS256 with a kid
// from the bank's use=sig keys, iss, aud/azp, exp, iat, nonce, sub, and s_hash, c_hash,
// at_hash when present); a failure is an *IDTokenError naming the check, matching
// ErrIDTokenInvalid, and never quoting the token.
//
// Every HTTP call is reported to an optional Observer as an Exchange with secrets redacted,
// so a protocol inspector can show each step.
package lfi
