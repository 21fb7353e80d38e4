package risk

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestLocaleToTag(t *testing.T) {
	for in, want := range map[string]string{
		"en_AE.UTF-8":      "en-AE",
		"ar_AE.UTF-8@euro": "ar-AE",
		"de_DE@euro":       "de-DE",
		"fr":               "fr",
		"en-US":            "en-US",
		"C":                "",
		"C.UTF-8":          "",
		"POSIX":            "",
		"":                 "",
		"en_AE;rm -rf":     "",
		"../../etc":        "",
	} {
		if got := localeToTag(in); got != want {
			t.Errorf("localeToTag(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLanguagePrecedence(t *testing.T) {
	env := map[string]string{"LANG": "en_GB.UTF-8", "LC_MESSAGES": "ar_AE.UTF-8"}
	if got := languageFromEnv(func(k string) string { return env[k] }); got != "ar-AE" {
		t.Errorf("LC_MESSAGES should win over LANG, got %q", got)
	}
	env["LC_ALL"] = "fr_FR.UTF-8"
	if got := languageFromEnv(func(k string) string { return env[k] }); got != "fr-FR" {
		t.Errorf("LC_ALL should win, got %q", got)
	}
	if got := languageFromEnv(func(string) string { return "" }); got != "" {
		t.Errorf("no locale: got %q", got)
	}
}

func TestParseOSRelease(t *testing.T) {
	for in, want := range map[string]string{
		"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n": "Debian GNU/Linux 12 (bookworm)",
		"NAME=Fedora\nVERSION_ID=40\n": "Fedora 40",
		"# comment\nID=arch\n":         "",
		"":                             "",
	} {
		if got := parseOSRelease([]byte(in)); got != want {
			t.Errorf("parseOSRelease(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCleanDetected(t *testing.T) {
	for in, want := range map[string]string{
		"LENOVO\n":                 "LENOVO",
		"To Be Filled By O.E.M.\n": "",
		"System manufacturer":      "",
		"Evil\x1b[2J Corp":         "Evil[2J Corp",
		"bad\xffutf8":              "badutf8",
		strings.Repeat("x", 60):    strings.Repeat("x", 50),
	} {
		if got := cleanDetected(in, 50); got != want {
			t.Errorf("cleanDetected(%q) = %q, want %q", in, got, want)
		}
	}
}

// Whatever this machine reports, it is a valid builder input.
func TestDetectDeviceIsValidInput(t *testing.T) {
	d := DetectDevice()
	if d.Type == "" || d.TimeZone == nil {
		t.Fatalf("DetectDevice left the always-known parts empty: %+v", d)
	}
	if _, err := ForConsent(ConsentInput{Now: fixedNow, Device: d}); err != nil {
		t.Fatalf("DetectDevice output refused by ForConsent: %v", err)
	}
}

func TestDeviceTypeAndOSName(t *testing.T) {
	for goos, want := range map[string]DeviceType{"linux": DeviceDesktop, "darwin": DeviceDesktop, "windows": DeviceDesktop, "android": DeviceMobile, "ios": DeviceMobile} {
		if got := deviceTypeFor(goos); got != want {
			t.Errorf("deviceTypeFor(%s) = %s, want %s", goos, got, want)
		}
	}
	if osNameFor("darwin") != "macOS" || osNameFor("plan9") != "" {
		t.Error("osNameFor mapping wrong")
	}
}

func TestAppFromBuildInfo(t *testing.T) {
	info := &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/payterm/payterm", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "c9af103e1d2a4b5c6d7e8f90112233445566778899"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	got := appFromBuildInfo(info)
	want := App{Version: "v1.2.3", PackageName: "github.com/payterm/payterm", BuildNumber: "c9af103e1d2a+dirty"}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	dev := appFromBuildInfo(&debug.BuildInfo{Main: debug.Module{Path: "github.com/payterm/payterm", Version: "(devel)"}})
	if dev.Version != "" || dev.BuildNumber != "" || dev.PackageName == "" {
		t.Errorf("devel build: %+v", dev)
	}
	if _, err := ForConsent(ConsentInput{Now: fixedNow, App: AppFromBuild()}); err != nil {
		t.Errorf("AppFromBuild output refused by ForConsent: %v", err)
	}
}
