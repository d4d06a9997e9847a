package manpages

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The committed pages in docs/man are what the flags make of them now.
func TestPagesAreInSync(t *testing.T) {
	dir := t.TempDir()
	names, err := Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := filepath.Glob("../../docs/man/*.[158]")
	if err != nil {
		t.Fatal(err)
	}
	var have []string
	for _, p := range committed {
		have = append(have, filepath.Base(p))
	}
	if !slices.Equal(have, names) {
		t.Fatalf("docs/man holds %q, the flags make %q; run make man", have, names)
	}
	for _, n := range names {
		want, _ := os.ReadFile(filepath.Join(dir, n))
		got, err := os.ReadFile(filepath.Join("../../docs/man", n))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("docs/man/%s is out of date (%v); run make man", n, err)
		}
	}
}

// Every flag of locksmithd is in its page and in the update.conf page, with its variable.
func TestPagesNameEveryFlag(t *testing.T) {
	page, conf := string(locksmithd()), string(updateConf())
	for _, want := range []string{`\fB\-\-lock\-ttl\fP`, `\fB\-\-fleetlock\-url\fP`, `\fB\-\-reboot\-strategy\fP`} {
		if !strings.Contains(page, want) {
			t.Errorf("locksmithd.8 lacks %s", want)
		}
	}
	for _, want := range []string{`\fBLOCKSMITHD_REBOOT_STRATEGY, REBOOT_STRATEGY\fP`, `\fBLOCKSMITHD_LOCK_TTL\fP`, `(\fB\-\-lock\-ttl\fP)`} {
		if !strings.Contains(conf, want) {
			t.Errorf("locksmith-update.conf.5 lacks %s", want)
		}
	}
}
