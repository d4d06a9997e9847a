package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestFromInfo(t *testing.T) {
	vcs := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-12-03T10:00:00Z"}}
	for _, tt := range []struct {
		main     string
		settings []debug.BuildSetting
		want     string
	}{
		{"v1.2.3", vcs, "v1.2.3"},
		{"(devel)", vcs, "devel (revision 0123456789ab, committed 2026-12-03T10:00:00Z)"},
		{"(devel)", append(vcs, debug.BuildSetting{Key: "vcs.modified", Value: "true"}), "devel (revision 0123456789ab, committed 2026-12-03T10:00:00Z, modified)"},
		{"(devel)", nil, "devel"},
	} {
		bi := &debug.BuildInfo{Main: debug.Module{Version: tt.main}, Settings: tt.settings}
		if got := fromInfo(bi); got != tt.want {
			t.Errorf("fromInfo(%q, %v) = %q, want %q", tt.main, tt.settings, got, tt.want)
		}
	}
	if got := Version("v9"); got != "v9" {
		t.Errorf("Version(v9) = %q", got)
	}
}
