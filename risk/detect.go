package risk

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// DetectDevice reads what the environment says about this machine: the
// device class, OS name and version, hardware vendor and model where the OS
// exposes them without privileges, the language of the locale and the local
// time zone. Whatever it cannot determine is left empty (unknown), and
// every value it returns passes the builders' input checks. The binding
// fields (BindingID, BoundAt, BindingStatus) are wallet/'s to fill from the
// device key. This is the only part of the package that reads the
// environment; the builders never do.
func DetectDevice() Device {
	d := Device{
		Type:     deviceTypeFor(runtime.GOOS),
		OS:       osNameFor(runtime.GOOS),
		Language: languageFromEnv(os.Getenv),
		TimeZone: time.Local,
	}
	detectPlatform(&d)
	d.OSVersion = cleanDetected(d.OSVersion, 100)
	d.Manufacturer = cleanDetected(d.Manufacturer, 50)
	d.Model = cleanDetected(d.Model, 50)
	return d
}

// deviceTypeFor: a terminal program runs on a desktop or laptop, except on
// Android (Termux) and iOS, which are mobile devices.
func deviceTypeFor(goos string) DeviceType {
	switch goos {
	case "android", "ios":
		return DeviceMobile
	}
	return DeviceDesktop
}

func osNameFor(goos string) string {
	switch goos {
	case "linux":
		return "Linux"
	case "darwin":
		return "macOS"
	case "windows":
		return "Windows"
	case "android":
		return "Android"
	case "ios":
		return "iOS"
	case "freebsd":
		return "FreeBSD"
	case "openbsd":
		return "OpenBSD"
	case "netbsd":
		return "NetBSD"
	}
	return "" // not worth guessing a display name
}

// languageFromEnv follows POSIX precedence (LC_ALL, LC_MESSAGES, LANG) and
// turns a locale name such as en_AE.UTF-8@euro into a BCP 47 tag (en-AE).
// The C and POSIX locales name no language.
func languageFromEnv(getenv func(string) string) string {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(name); v != "" {
			return localeToTag(v)
		}
	}
	return ""
}

func localeToTag(locale string) string {
	if i := strings.IndexAny(locale, ".@"); i >= 0 {
		locale = locale[:i]
	}
	if locale == "C" || locale == "POSIX" {
		return ""
	}
	tag := strings.ReplaceAll(locale, "_", "-")
	if !languageTag.MatchString(tag) {
		return ""
	}
	return tag
}

// parseOSRelease returns PRETTY_NAME (else NAME VERSION_ID) from an
// os-release(5) file.
func parseOSRelease(b []byte) string {
	vals := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		vals[k] = strings.Trim(v, `"'`)
	}
	if p := vals["PRETTY_NAME"]; p != "" {
		return p
	}
	return strings.TrimSpace(vals["NAME"] + " " + vals["VERSION_ID"])
}

// placeholders are what firmware puts in DMI fields nobody filled.
var placeholders = []string{"to be filled by o.e.m.", "system manufacturer", "system product name", "default string", "not specified", "none", "unknown", "o.e.m."}

// cleanDetected turns a value read from the system into a valid input or
// "": control characters dropped, spaces trimmed, cut to max characters,
// firmware placeholders treated as unknown.
func cleanDetected(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	s = strings.TrimSpace(s)
	for _, p := range placeholders {
		if strings.EqualFold(s, p) {
			return ""
		}
	}
	if utf8.RuneCountInString(s) > max {
		s = strings.TrimSpace(string([]rune(s)[:max]))
	}
	return s
}
