// Package xs2a is the Berlin Group NextGenPSD2 (XS2A 1.3.x) payment-initiation protocol as
// the TPP sees it, for the generic BG bank, SpareBank 1 (seed 002) and Bank of Georgia
// (seed 003). It is purely the client side of the wire: the provider adapter of the core
// wraps it; the sandbox (sandbox/xs2a) is written independently and shares no code with it.
//
// Every request is built, then sent: Build… returns a *Request holding the method, the
// absolute URL, every header (X-Request-ID, Date, Digest, Signature,
// TPP-Signature-Certificate, PSU-*, TPP-Redirect-URI) and the exact body bytes, signed with
// draft-cavage-http-signatures-10 (internal/httpsig). The core stores it (fsync) and only then
// calls Send, which puts exactly those bytes on the wire once and decodes the answer into a
// *Reply. Nothing is retried inside: BG has no idempotency key, so a lost answer to a
// side-effecting request is an error matching ErrOutcomeUnknown and Request.Reconcile says
// what the core may do (ask the user; read the state through a held link; or, on SpareBank 1,
// whose creates carry allowLogicalDuplicate=false, send the same create again under a new
// X-Request-ID: BuildResend).
//
// The client makes up two URLs only: the initiation endpoint and SpareBank 1's session
// endpoint. Everything after follows the bank's _links, resolved against BaseURL and refused
// when they leave the bank's API host (scaRedirect and scaOAuth, which the PSU's browser
// opens, may be on any https host, or on a loopback host over http).
//
// Everything read from the bank is checked before it is returned: statuses against the BG
// values (scaStatus in any spelling, camelCase or UPPER_SNAKE; unknown values are errors),
// codes and paths against plain patterns, text through internal/safetext, ids as printable
// ASCII, bodies capped at 1 MiB. Secrets (PSU password, TAN, confirmation code, bearer token,
// TPP session id, OAuth code, state and PKCE verifier) are Secret values and never reach an
// error or the Observer; personal data is marked there so the inspector can mask it
// (Exchange.WithoutPII).
//
// The OAuth SCA approach (oauth.go) talks to the bank's authorization server, not to XS2A:
// BuildOAuthMetadata (the scaOAuth link's RFC 8414 document), StartOAuth (the authorize URL
// for the PSU's browser: scope, state, PKCE S256), ParseOAuthCallback (the redirect back),
// BuildTokenRequest (the code swapped over mTLS); the token then rides on the payment's calls
// as PSU.Token. Those requests are built and sent the same way, without an HTTP signature.
//
// See README.md for the profiles and how the core uses Build and Send.
package xs2a
