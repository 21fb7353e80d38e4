// Package sca is the wallet's own strong customer authentication under UAE delegated SCA:
// the bank checks nothing per payment, so this is what stands between a stolen laptop and the
// user's money. It produces Evidence of one SCA for one payment intent; risk/ turns that into
// Risk.DebtorIndicators.Authentication and the wallet sends it with the payment. The same SCA
// guards the wallet's own safety net: raising or removing a limit (AuthenticateChange).
//
// # Factors
//
// Knowledge: a PIN of 6-12 digits, refused when all digits are equal, run in sequence (123456,
// 987654, 890123) or repeat a short pattern (121212, 123123). Possession: a TOTP authenticator
// app (RFC 6238, SHA-1, 30 s, 6 digits, 160-bit secret from crypto/rand via pquerna/otp),
// enrolled through an otpauth:// URI, a terminal QR code or the base32 secret, and active only
// after one valid code. CheckFactors refuses any configuration that is not two factors from
// two different categories (two possession factors, such as TOTP plus the device key, are not
// SCA), and any factor this package does not implement.
//
// # Device key and dynamic linking
//
// Enrolment creates a P-256 device key; its RFC 7638 JWK thumbprint is the DeviceBindingId.
// The key sits in <data dir>/sca/device.json wrapped (AES-256-GCM) under
// HKDF(argon2id(PIN, salt) ‖ wrap secret), the 256-bit wrap secret being held in the keystore
// (OS keyring). A copied data dir lacks the wrap secret, so the PIN cannot be brute-forced
// offline from it; the keyring alone lacks the ciphertext and the PIN. Verifying the PIN *is*
// unwrapping the key — no PIN hash is stored anywhere. argon2id costs are injectable; Open
// refuses anything below the OWASP minimum (t=2, 19 MiB) unless AllowWeakKDF (tests), and the
// default is RFC 9106's t=3, 64 MiB, p=4 (~0.1-0.4 s on two cores, once per payment; several
// times that while another process keeps the CPUs busy). Prestretch(pin) runs that argon2id
// in the background as soon as the PIN is typed (the pay screen calls it when focus moves to
// the code field), so the cost overlaps with typing the code; the next Authenticate with the
// same PIN uses the result once. It checks nothing: the attempt is still counted and
// persisted before the unwrap that is the check.
//
// On success the device key signs, as a compact ES256 JWS (typ "payterm-sca+jwt", public key
// embedded), the dynamic-linking payload: consent id, amount, currency, creditor account and
// name, idempotency key, challenge time, the binding id and amr ["pin","otp","swk"]. That JWS
// is Evidence.AuthenticationValue. VerifyAuthenticationValue checks one.
//
// # Authenticate
//
// Authenticate(intent, pin, code) validates the intent, then:
//   - refuses at once when payments are blocked or the counters fail their integrity check;
//   - counts the attempt as failed and persists that before checking anything, so killing
//     the process after the (slow) PIN check gains no free guess; success resets the count
//     (every failure, including wrong PINs at VerifyPIN);
//   - checks both factors every time and returns one *AuthError (errors.Is ErrAuthFailed)
//     that says "the PIN or the code is not correct" and how many attempts remain, never
//     which factor failed (RTS Art. 4(3)(a));
//   - accepts a TOTP code from at most one step either side and only from a step later than
//     the last one accepted (persisted: pquerna/otp has no replay memory), so a code is
//     accepted once, even within its window and across restarts (RTS Art. 4(1)); the code
//     last accepted, typed again within its window, is refused as ErrCodeUsed ("wait for the
//     next one") before the PIN is read and without counting an attempt: the user already
//     knows that code, and nothing about the PIN is checked, so nothing is revealed or guessed.
//
// After MaxFailures (5) failures not cleared by a success — Authenticate and VerifyPIN count
// together — payments are blocked (RTS Art. 4(3)(b)); every failure before that carries the
// remaining attempts so the UI can warn.
//
// Evidence.Authorises(intent, now) fails for any change of amount, currency, payee (account
// or name), consent or idempotency key (RTS Art. 5(1)(d)), when older than five minutes
// (EvidenceLifetime), and after Consume, which marks it used atomically.
//
// # AuthenticateChange: the same SCA for a change of settings
//
// AuthenticateChange(change, pin, code) is Authenticate for a Change {What, From, To} — the
// setting and its canonical text before and after — instead of a payment intent: the same
// factors, the same persisted counter (a wrong code for a change costs one of the same five
// attempts, and a block stops both), the same one-use codes. The device key signs the change
// as a JWS of its own typ, ChangeType ("payterm-sca-change+jwt"), so a change assertion never
// verifies as a payment's (VerifyAuthenticationValue checks the typ) nor the reverse
// (VerifyChangeValue). Evidence.ConsumeChange(change, now) fails for any other change,
// including the same change from another starting state (a stale From), for a payment's
// evidence, after five minutes and after first use; Consume fails for a change's evidence.
//
// # VerifyPIN: the knowledge factor alone (the wallet's idle lock)
//
// VerifyPIN(pin) checks the PIN the one way this package knows — unwrapping the device key —
// and shares Authenticate's persisted, MAC'd failure counter: it refuses when blocked or
// tampered, counts the attempt and persists that before checking, and a wrong PIN is the same
// *AuthError with the attempts left. It yields no Evidence: one factor is not SCA.
//
// The reset rule. A failed Authenticate neither says nor records which factor was wrong, so a
// correct PIN proves nothing about it: it may have been a wrong TOTP code from someone who
// knows the PIN but lacks the phone. If a correct PIN reset the counter, that person could
// alternate four code guesses with one VerifyPIN and never reach the block. So the counters
// also record how many of the failures were wrong PINs at VerifyPIN (PINFailures, never more
// than Failures), and a correct PIN at VerifyPIN clears exactly those; failures of
// Authenticate stay until a full SCA succeeds (which clears all) or Recover runs. Clearing the
// PIN-only failures gives nothing away: only someone who knows the PIN can do it, and to that
// person wrong PINs were worthless guesses. Once blocked, even the right PIN is refused
// unchecked.
//
// # Counters that survive restarts and resist editing
//
// Failures (and how many of them were PIN-only), the last accepted TOTP step and failed
// recoveries live in two copies: the keystore entry sca.state and <data dir>/sca/state.json.
// Each copy is HMAC-SHA256'd with a random key held only in the keystore and names the device
// binding id; each write bumps a sequence number. Loading verifies both MACs and takes the newer copy, repairing the other. So:
// editing either copy, deleting either, or pasting another enrolment's state is detected
// (ErrTampered: payments blocked until Recover); rolling back one copy is harmless because the
// other carries the higher sequence number. Not defended: an attacker who can write the OS
// keyring and the data dir at once (i.e. malware running as the user) can restore an older
// pair; nothing short of hardware-backed monotonic counters stops that, and such an attacker
// can also watch the PIN being typed.
//
// # Recovery (designed here)
//
// Enrolment returns a recovery code — 160 random bits, base32 in eight groups of four —
// shown once. It is never stored: the device key is wrapped a second time under
// HKDF(recovery code ‖ wrap secret). Recover(recovery code, TOTP code, new PIN) needs both the
// recovery code (kept offline by the user) and a fresh authenticator code (possession), so the
// unlock is itself two-factor (RTS Art. 24(2)(b)). It unwraps the device key with the recovery
// code, re-wraps it under the new PIN, keeps the binding id (bank consents stay valid), resets
// the counters (also repairing a tampered state) and returns a new recovery code; the old one
// stops working. Recovery attempts are limited to MaxRecoveryFailures (5), persisted like the
// other counters; both factors fail with one generic error.
//
// Last resort — lost recovery code, lost phone, or recovery locked: Reset deletes the
// enrolment. It needs no secret because it grants nothing: the next enrolment creates a new
// device key with a new binding id, and the wallet MUST treat bank consents bound to the old
// binding id as unusable and send the user through the bank's consent flow (bank-side SCA)
// again. Deleting device.json by hand does not get around this: BeginEnrolment refuses while
// any counter copy remains (ErrAlreadyEnrolled).
//
// # Secrets
//
// PIN, OTP and RecoveryCode print as [REDACTED] with every fmt verb and in slog; Enrolment,
// Evidence, Intent and LinkingClaims hide secrets and the payee (PII). Errors never contain a
// secret or the payee. Known limits: Go strings cannot be wiped, so PINs typed as strings stay
// in memory until collected; counter updates take an flock on <data dir>/sca/lock (Unix; none
// on Windows), but the encrypted-file keystore caches its map per process, so run one wallet
// process per data dir when the keyring is unavailable; a crash
// inside Recover after the device file is rewritten but before the new recovery code is shown
// leaves the user with the new PIN but without the new recovery code (Reset then re-enrol); if
// the system clock is set back, codes are refused until it passes the last step accepted
// (replay protection cannot tell a rewound clock from a replay). The dynamic-linking JWS
// carries the payee in its (base64, unencrypted) payload: treat AuthenticationValue as PII —
// it travels inside the encrypted Risk block.
package sca
