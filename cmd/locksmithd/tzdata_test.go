package main_test

import (
	"debug/elf"
	"testing"
)

// The daemon carries Go's time zone database, so that a --timezone
// resolves on a host without zoneinfo (minimal images). This host has
// zoneinfo, which time.LoadLocation would use first, so the test looks for
// the embedded database's loader in the binary's symbols instead.
func TestBinaryEmbedsTimeZoneDatabase(t *testing.T) {
	f, err := elf.Open(binary(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	const want = "time/tzdata.loadFromEmbeddedTZData"
	for _, s := range syms {
		if s.Name == want {
			return
		}
	}
	t.Fatalf("locksmithd has no symbol %s: time/tzdata is not linked in", want)
}
