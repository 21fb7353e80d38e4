// Package keystore keeps the wallet's small secrets — refresh tokens, the TOTP seed, the
// device-key wrap secret, the SCA counters — behind one interface, Store.
//
// # OS keyring (the normal case)
//
// Secrets go to the OS keyring through zalando/go-keyring under service "payterm". Account
// names are "<data-dir id>/<name>", the id being the first 8 bytes (hex) of SHA-256 of the
// data dir's absolute path, so two data dirs never share secrets. Moving a data dir therefore
// detaches it from its secrets; that is deliberate (a copy of a data dir must not unlock the
// original's keyring entries under another path).
//
// Keyrings limit value sizes (Windows: 2560 bytes; macOS: a 4096-byte command line after
// base64). Each keyring string is at most 1800 characters: a value up to ~1.3 kB is stored
// inline in its manifest entry; a larger one is base64-split into chunks written under a new
// random generation id, and only then is the manifest entry (generation, chunk count,
// length, SHA-256) replaced. That single write is the atomic switch: a reader sees the old or
// the new value, never a mix, and the checksum catches anything else. Old chunks are deleted
// after the switch; an orphan chunk left by a crash is never referenced again.
//
// # Encrypted file (only when no keyring works)
//
// go-keyring reports a locked, missing or refusing Secret Service with arbitrary errors, so any
// keyring error other than not-found means "secure storage unavailable" (ErrUnavailable). In
// ModeAuto Open then, and only then, falls back to secrets.enc in the data dir: one JSON
// envelope, 0600, written atomically, AES-256-GCM over the whole secret map with a fresh
// random nonce per write and the header (version, argon2id parameters, salt, passphrase flag)
// as additional data. Kind reports KindEncryptedFile and FallbackReason says why, so the UI
// can tell the user. Nothing is ever stored in plaintext.
//
// Where the file key comes from, and what that does and does not protect: the key is
// argon2id(machine id ‖ user id ‖ optional passphrase, random salt), t=3, 64 MiB, p=4 by
// default (RFC 9106's second recommendation; never below the OWASP minimum).
//
//   - Without a passphrase (Options.UsePassphrase false when the file was made) the key is
//     bound to this machine's /etc/machine-id (or /var/lib/dbus/machine-id; the host name
//     where neither exists) and the user id. A data dir copied to another machine — a backup, a synced folder, a
//     stolen disk image without /etc — does not open. But anything running as this user on
//     this machine can read the machine id and derive the key: against local malware the
//     file is no better than the keyring-less OS it runs on. The salt only stops
//     precomputation; the machine id is not a secret in the cryptographic sense.
//   - With a passphrase (the wallet asks for it at start) the file also needs something only
//     the user knows, at the cost of one more prompt; offline guessing is slowed by argon2id
//     and bounded by the passphrase's entropy. UsePassphrase adds one to a file that has none
//     (re-encrypted under a new salt, atomically); a file that has one always asks for it.
//
// The keyring is strictly better (the OS guards it with the login session), which is why the
// file is a fallback, why the UI names the store in use, and why a data dir that has used the
// keyring once (recorded in keystore.kind) refuses to fall back: a locked keyring must not make
// the wallet start over on an empty file. When the keyring works again, Open moves the file's
// secrets into it and deletes the file.
//
// Known limits: the encrypted file is read once per Open and rewritten whole, so two
// processes sharing it would overwrite each other's changes (the keyring has no such
// problem: every Get reads it afresh); Go cannot reliably
// wipe memory, so secrets are cleared from buffers on a best-effort basis only.
package keystore
