package slot

import "testing"

func TestGroupName(t *testing.T) {
	for group, want := range map[string]string{"": "the default group", "workers": `group "workers"`, `a"b`: `group "a\"b"`} {
		if got := GroupName(group); got != want {
			t.Errorf("GroupName(%q) = %q, want %q", group, got, want)
		}
	}
}
