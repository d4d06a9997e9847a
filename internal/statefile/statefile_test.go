package statefile

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestRecordHeldClear(t *testing.T) {
	f := File{Dir: t.TempDir() + "/state"}
	if _, held, err := f.Held(); held || err != nil {
		t.Fatalf("Held without a file = %v, %v", held, err)
	}
	want := Slot{Group: "workers", BootID: "b1", Taken: time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)}
	if err := f.Record(want); err != nil {
		t.Fatal(err)
	}
	got, held, err := f.Held()
	if err != nil || !held || got != want {
		t.Fatalf("Held = %+v, %v, %v; want %+v", got, held, err, want)
	}
	if err := f.Clear(); err != nil {
		t.Fatal(err)
	}
	if err := f.Clear(); err != nil {
		t.Fatalf("Clear without a file: %v", err)
	}
	if _, held, _ := f.Held(); held {
		t.Fatal("Held after Clear")
	}
	if err := os.WriteFile(f.Path(), []byte(`{"group": 7}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.Held(); err == nil || !strings.Contains(err.Error(), "field group is a JSON number") || !strings.Contains(err.Error(), f.Path()) {
		t.Fatalf("Held of a corrupt file = %v, want an error naming the file and the field", err)
	}
}
