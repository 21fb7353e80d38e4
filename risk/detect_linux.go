//go:build linux && !android

package risk

import "os"

func detectPlatform(d *Device) {
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		if b, err := os.ReadFile(p); err == nil {
			d.OSVersion = parseOSRelease(b)
			break
		}
	}
	if d.OSVersion == "" {
		if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
			d.OSVersion = "kernel " + string(b)
		}
	}
	// DMI identity is world-readable on Linux; absent in containers and VMs
	// without firmware tables, in which case it stays unknown.
	if b, err := os.ReadFile("/sys/class/dmi/id/sys_vendor"); err == nil {
		d.Manufacturer = string(b)
	}
	if b, err := os.ReadFile("/sys/class/dmi/id/product_name"); err == nil {
		d.Model = string(b)
	}
}
