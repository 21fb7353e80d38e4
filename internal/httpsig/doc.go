// Package httpsig is the client side of draft-cavage-http-signatures-10 ("Signing HTTP
// Messages") as the PSD2 APIs use it: Berlin Group NextGenPSD2 banks, SpareBank 1 and
// Fintecture. It computes the Digest header (RFC 3230 form, `SHA-256=<base64>`), builds the
// signing string, signs it with RSASSA-PKCS1-v1_5 (`rsa-sha256`) over any crypto.Signer, and
// formats the Signature header.
//
// What differs between banks is data, not code: a Profile lists the headers to sign, in order,
// each either required or signed only when present; whether `(request-target)` is signed;
// which digest; whether the Signature header is RFC 2047-wrapped (SpareBank 1). The keyId is a
// string the caller computes once: CertKeyID formats `SN=<hex serial>,CA=<issuer DN>` with the
// hex case and DN encoding a bank wants; a plain id (Fintecture's app_id) is passed as it is.
//
// The signing string rules (draft-cavage §2.3): for each name, in the profile's order, the
// lowercase name, ": ", the value with surrounding whitespace trimmed; several values of one
// header are joined with ", "; lines are joined with "\n" and there is no trailing newline.
// A header whose value holds a CR or LF is malformed and nothing is signed.
//
// Verify exists for tests and for the inspector's "check what we sent" view; payterm's
// production path never verifies a bank signature (BG responses are not signed).
package httpsig
