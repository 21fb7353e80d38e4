//go:build darwin && !ios

package risk

import (
	"os"
	"regexp"

	"golang.org/x/sys/unix"
)

var productVersion = regexp.MustCompile(`<key>ProductVersion</key>\s*<string>([^<]+)</string>`)

func detectPlatform(d *Device) {
	if b, err := os.ReadFile("/System/Library/CoreServices/SystemVersion.plist"); err == nil {
		if m := productVersion.FindSubmatch(b); m != nil {
			d.OSVersion = string(m[1])
		}
	}
	if model, err := unix.Sysctl("hw.model"); err == nil {
		d.Manufacturer = "Apple" // macOS runs on Apple hardware
		d.Model = model
	}
}
