// Package interop holds tests only: the client side of a standard run against its strict
// embedded bank, each written independently of the other. Here the Berlin Group client
// (xs2a) meets the XS2A bank (sandbox/xs2a) in every profile: the test registers a TPP with
// the bank's registration API, builds the client from the certificates it returns, and runs
// whole journeys through the bank's pages, with every exchange validated against the BG
// OpenAPI on the client's side and every bank verdict read back. wallet_xs2a_test.go drives
// the wallet core itself with provider/xs2a over that bank (link, prepare, the wallet's own
// SCA, send, the bank's approval, tracking to final).
//
// The tests may import the bank; nothing under sandbox/ may import the client (the bank's
// TestSandboxImportsNoClientPackage), so this package is outside both.
package interop
