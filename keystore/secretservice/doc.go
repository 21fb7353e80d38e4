// Package secretservice holds the keystore's integration test against a real Secret Service
// (gnome-keyring). It lives apart from package keystore because go-keyring's mock replaces the
// process-wide provider and cannot be restored. It has no non-test code.
//
// Run it as CI does (Debian: apt-get install -y --no-install-recommends gnome-keyring
// libsecret-tools dbus):
//
//	KR=$(mktemp -d); XDG_DATA_HOME=$KR dbus-run-session -- sh -c \
//	  'echo pass | gnome-keyring-daemon --unlock >/dev/null; PAYTERM_REQUIRE_E2E=1 go test -race -count=1 ./keystore/...'
package secretservice
