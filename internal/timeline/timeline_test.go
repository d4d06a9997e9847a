package timeline

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"locksmith.dev/locksmith/history"
)

var t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func at(min int, kind history.Kind, node string) history.Event {
	return history.Event{Time: t0.Add(time.Duration(min) * time.Minute), Kind: kind, Node: node}
}

func TestTheChartHasARowPerNodeAndAPhaseRectPerPhase(t *testing.T) {
	cycles := history.Cycles([]history.Event{
		at(0, history.WaitingForSlot, "a"), at(0, history.WaitingForSlot, "<b>"),
		at(1, history.SlotTaken, "a"), at(2, history.RebootRequested, "a"), at(4, history.Booted, "a"), at(5, history.Released, "a"),
		at(5, history.SlotTaken, "<b>"), at(6, history.RebootRequested, "<b>"),
	})
	var b strings.Builder
	if err := SVG(&b, Chart{Title: "group web", Cycles: cycles, Max: 1, Now: t0.Add(8 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	var doc struct{ XMLName xml.Name }
	if err := xml.Unmarshal([]byte(svg), &doc); err != nil || doc.XMLName.Local != "svg" {
		t.Fatalf("not an SVG document (%v):\n%s", err, svg)
	}
	for phase, want := range map[string]int{"waiting": 2, "holding": 2, "down": 2, "checks": 1} {
		if got := strings.Count(svg, `class="`+phase+`"`); got != want {
			t.Errorf("%d %s bars, want %d", got, phase, want)
		}
	}
	if !strings.Contains(svg, `class="max"`) || !strings.Contains(svg, `class="held"`) || !strings.Contains(svg, "&lt;b&gt;") {
		t.Errorf("no max line, no held line, or an unescaped node name:\n%s", svg)
	}
}

func TestNoCyclesIsAnError(t *testing.T) {
	if err := SVG(&strings.Builder{}, Chart{}); err == nil {
		t.Error("an empty chart was drawn")
	}
}
