//go:build windows

package risk

import (
	"fmt"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

func detectPlatform(d *Device) {
	if v := windows.RtlGetVersion(); v != nil {
		d.OSVersion = fmt.Sprintf("%d.%d.%d", v.MajorVersion, v.MinorVersion, v.BuildNumber)
	}
	if d.Language == "" {
		if langs, err := windows.GetUserPreferredUILanguages(windows.MUI_LANGUAGE_NAME); err == nil && len(langs) > 0 {
			d.Language = localeToTag(langs[0])
		}
	}
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `HARDWARE\DESCRIPTION\System\BIOS`, registry.QUERY_VALUE)
	if err != nil {
		return
	}
	defer k.Close()
	if s, _, err := k.GetStringValue("SystemManufacturer"); err == nil {
		d.Manufacturer = s
	}
	if s, _, err := k.GetStringValue("SystemProductName"); err == nil {
		d.Model = s
	}
}
