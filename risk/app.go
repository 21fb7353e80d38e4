package risk

import "runtime/debug"

// AppFromBuild describes this binary from the build information the Go
// toolchain embeds. Unknown parts stay empty.
func AppFromBuild() App {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return App{}
	}
	return appFromBuildInfo(info)
}

// appFromBuildInfo: PackageName is the main module path (Go's package
// identifier), AppVersion its module version unless the build is a local
// "(devel)" one, and BuildNumber the VCS revision (12 hex digits, "+dirty"
// for uncommitted changes), which identifies the build exactly.
func appFromBuildInfo(info *debug.BuildInfo) App {
	a := App{PackageName: info.Main.Path}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		a.Version = v
	}
	var rev string
	var dirty bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		a.BuildNumber = rev
		if dirty {
			a.BuildNumber += "+dirty"
		}
	}
	if text("App", a.PackageName, 200) != nil || text("App", a.Version, 100) != nil {
		return App{}
	}
	return a
}
