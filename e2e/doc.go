// Package e2e proves payterm the way a person meets it: the real binary in a real terminal
// (tmux, driven with send-keys and read with capture-pane), TOTP codes from an independent
// implementation (oathtool), the bank's consent page in a real browser (headless Chromium over
// chromedriver's W3C WebDriver API), a real keyring (gnome-keyring over D-Bus), and a foreign
// client (Node's jose, under foreign/) against the standalone sandbox.
//
// Everything lives in _test.go files: the package has no API. A test that needs a tool that is
// absent skips with the reason, and fails instead when PAYTERM_REQUIRE_E2E=1 (CI installs the
// tools: apt chromium chromium-driver tmux oathtool gnome-keyring libsecret-tools dbus, and
// Node with npm).
package e2e
