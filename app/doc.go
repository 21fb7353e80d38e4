// Package app assembles the real wallet: for every configured bank ([bank], then [[banks]]) it
// starts the embedded sandbox bank (or reads the Trust Framework files of a remote one) and
// builds its client; it opens the keystore, the SCA, the token
// manager, the ledger and the wallet core, and adapts them to the ui.Wallet interface the
// terminal screens drive. main.go calls RunWallet, ExportHistory, Status, Reset, TokenCSR and
// SandboxConfig; nothing else imports app.
//
// # Data dir (0700; files 0600; the JSON and PEM files are written temp → fsync → rename)
//
//	payterm.lock          flock held while a wallet runs; holds its pid for the refusal message
//	ledger.db             the wallet's SQLite ledger (payees' names and IBANs live here); its
//	                      setting app.reset records the last reset (see # Reset)
//	secrets.enc           the encrypted secret store, only when no OS keyring works
//	sca/                  device key (wrapped), counters (MAC'd), lock — see package sca
//	tpp/                  the TPP identity registered at the embedded sandbox: identity.json,
//	                      signing-key.pem (kid = RFC 7638 thumbprint), transport key and cert;
//	                      with [pkcs11] only identity.json (key_store "pkcs11") and the cert
//	sandbox/              the embedded bank's own state, CA and keys
//	sandbox-listen.json   the bank's loopback ports, reused so its issuer URL stays the same
//	banks/<id>/           the same tpp/, sandbox/ and sandbox-listen.json for each [[banks]]
//	                      entry (the ones above belong to [bank], where a one-bank wallet had them)
//	support/              support bundles (interaction ids, consent id, redacted trace)
//
// # Start-up
//
// Open takes the lock, starts the bank, registers the TPP on the first run (POST /tf/register
// with a CSR, over HTTPS to the sandbox CA) and wires everything; then one background loop
// (keeper.go) resumes every payment that is not final and syncs the consents' statuses; while
// payments stay open it resumes them again with back-off (1, 2, 4 … up to 15 minutes; a
// payment just left open by the pay screen starts it at once), and it syncs the consents every
// 15 minutes. Its time and waits are Options.Clock and Options.Sleep; Close stops it. The
// first frame never waits on the bank, nor on the secret store's key derivation when opening
// the store cannot prompt (secrets.go), nor, in the TUI (Options.PassphraseOnScreen), when an
// existing file's passphrase is typed on the Unlock screen (unlocksecrets.go): both start once
// Home's first frame is out (startwork.go). Open refuses a data dir
// whose last reset was interrupted (ErrResetUnfinished) until `payterm reset` finishes it.
//
// # Reset
//
// Reset (`payterm reset`) is the last resort when the PIN, the authenticator or the recovery
// code is lost or recovery is locked. It takes the data dir lock, explains what it will do and
// asks for the word "reset" (ResetConfirmation.Yes for --yes), then: records the start in the
// ledger, settles payments in flight, deletes every bank login session (SpareBank 1: those of
// the configured banks and of every bank a link names), revokes every non-terminal consent at the bank (PATCH
// RevokedBy TPP.InitiatedByUser), deletes every consent's refresh token, runs sca.Reset,
// clears the ledger's onboarding time (`payterm status` then says "onboarded": false), and
// records the end. A consent the bank cannot be told about is recorded Revoked with
// RevokedBy "payterm.reset:unconfirmed-by-bank" — terminal, so it never pays, syncs or
// reactivates again — and the next reset asks the bank again. Every step is idempotent, so a
// re-run after a crash completes the job. Payments, payees and limits stay. Afterwards the
// wallet counts as onboarded only once a consent the reset did not know of is recorded, so
// the next start runs the onboarding from the PIN step.
//
// # Keys in a PKCS#11 token
//
// With [pkcs11] Open first logs in to the token (the PIN from Options.TokenPIN for "prompt",
// else from the environment variable or file pin_source names), and every bank's signing and
// transport keys are crypto.Signers from internal/pkcs11key (tppkeys.go): generated in the
// token for a new sandbox identity, found by label/id otherwise, never written to a file. The
// CSR, the registration update over mTLS, every PS256 JWS and every handshake sign inside the
// token. identity.json records where the keys are, so a change between files and token keeps
// the registered client and says how to move instead of registering silently anew. TokenCSR
// (`payterm csr`) makes the requests a remote bank's Trust Framework enrolment needs.
//
// # Renewal
//
// A renewal (RenewConsent) goes through the same bank step as onboarding and is recorded with
// BaseConsentId = the chain's root. Once it is recorded Authorized, wallet.RetireSuperseded
// revokes the consent it replaces at the bank with RevokedBy "TPP" (it moves to History); if
// that consent still has a payment in flight, or the bank cannot be reached, every later
// consent sync retries. Payments always use the newest usable consent.
//
// # Onboarding dates
//
// The Risk blocks' UserOnboardingDateTime, at consent time and at payment time alike, is the
// SCA enrolment time (the device binding; sca's BoundAt, carried by each payment's evidence),
// so a reset and a new enrolment re-date both. The ledger's own onboarding time (first consent
// recorded) only says whether the wizard was finished.
//
// # What the adapter adds
//
// The bank step of onboarding runs in its own goroutine once PAR is done, so the UI may stop
// waiting, wait again or paste the callback without losing the single-use code. The idle lock
// checks the PIN with sca.VerifyPIN, so a wrong PIN there counts against the same persisted
// five-failure limit as a payment; Open deletes the unlock.json verifier (and its keystore key)
// that older versions kept beside sca. Errors reach the screens as *ui.Problem (one sentence,
// what to do next) or *ui.SCAError; the inspector masks personal data whenever the bank is not
// the embedded sandbox. The inspector's POST /payments step lists what was sealed in the PII
// JWE: the wallet seals through sealingBank, which keeps each plaintext (masked when recorded
// off the sandbox; the last 32, in memory only) under the digest of the JWE it became, and the
// inspector looks up the JWE the shown request carries. A step is lit as "now" only while
// something runs: a payment being made or resumed, or a bank step waiting for the user.
package app
