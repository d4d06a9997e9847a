// Package timeline draws a rollout as an SVG Gantt chart: a row per node with its phases
// (waiting, holding, down, checks), and under it the number of slots held against max, so that
// a person sees at a glance where a rollout lost time.
package timeline

import (
	"cmp"
	"fmt"
	"html"
	"io"
	"slices"
	"strings"
	"time"

	"locksmith.dev/locksmith/history"
)

// Colours of the phases.
var colours = map[history.Phase]string{
	history.PhaseWaiting: "#f0ad4e",
	history.PhaseHolding: "#5bc0de",
	history.PhaseDown:    "#d9534f",
	history.PhaseChecks:  "#5cb85c",
}

// Layout, in pixels.
const (
	labelWidth = 160
	plotWidth  = 900
	rowHeight  = 16
	rowGap     = 4
	countPlot  = 120 // height of the slots-held plot
	margin     = 30
)

// Chart is what SVG draws.
type Chart struct {
	// Title is drawn on top, e.g. "group web, 5 nodes".
	Title string
	// Cycles are the reboot cycles to draw (history.Cycles), a row per node in the order the
	// nodes first took a slot.
	Cycles []history.Cycle
	// Max is the group's max, drawn as a line over the slots held; < 0 to leave it out.
	Max int
	// Now ends the phases still going on.
	Now time.Time
}

// SVG writes c as an SVG document to w.
func SVG(w io.Writer, c Chart) error {
	if len(c.Cycles) == 0 {
		return fmt.Errorf("timeline: no reboot cycles to draw")
	}
	start, end := c.Cycles[0].Start(), c.Now
	for _, cy := range c.Cycles {
		start = minTime(start, cy.Start())
		end = maxTime(end, cy.End(c.Now))
	}
	if !end.After(start) {
		end = start.Add(time.Second)
	}
	span := end.Sub(start)
	x := func(t time.Time) float64 { return labelWidth + float64(t.Sub(start))/float64(span)*plotWidth }

	rows, rowOf := rowsOf(c.Cycles)
	ganttTop := margin + 20
	ganttHeight := len(rows) * (rowHeight + rowGap)
	countTop := ganttTop + ganttHeight + margin
	height := countTop + countPlot + margin + 20
	width := labelWidth + plotWidth + margin

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="14">%s (%s, %s to %s UTC)</text>`+"\n", labelWidth, margin, esc(c.Title),
		span.Round(time.Second), start.UTC().Format("2006-01-02 15:04:05"), end.UTC().Format("15:04:05"))
	for i, name := range rows {
		y := ganttTop + i*(rowHeight+rowGap)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", labelWidth-6, y+rowHeight-4, esc(name))
	}
	for _, cy := range c.Cycles {
		y := ganttTop + rowOf[cy.Node]*(rowHeight+rowGap)
		for _, sp := range cy.Spans(c.Now) {
			w := max(x(sp.End)-x(sp.Start), 0.5)
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s %s: %s</title></rect>`+"\n",
				sp.Phase, x(sp.Start), y, w, rowHeight, colours[sp.Phase], esc(cy.Node), sp.Phase, sp.Duration().Round(time.Second))
		}
		if cy.Failed {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#d9534f">checks failed</text>`+"\n", x(cy.End(c.Now))+4, y+rowHeight-4)
		}
	}
	axis(&b, start, span, x, countTop+countPlot)
	held(&b, c, x, countTop)
	legend(&b, labelWidth, height-10)
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// rowsOf returns the row labels, a row per node in the order in which the nodes first took a
// slot (those that took none last), and the row of each node.
func rowsOf(cycles []history.Cycle) ([]string, map[string]int) {
	type row struct {
		node, label string
		first       time.Time
	}
	var order []row
	at := map[string]int{}
	for _, cy := range cycles {
		i, ok := at[cy.Node]
		if !ok {
			i = len(order)
			at[cy.Node] = i
			order = append(order, row{node: cy.Node, label: cmp.Or(cy.Hostname, cy.Node)})
		}
		if !cy.Taken.IsZero() && (order[i].first.IsZero() || cy.Taken.Before(order[i].first)) {
			order[i].first = cy.Taken
		}
	}
	slices.SortStableFunc(order, func(a, b row) int {
		switch {
		case a.first.IsZero() || b.first.IsZero():
			return cmp.Compare(btoi(a.first.IsZero()), btoi(b.first.IsZero()))
		}
		return a.first.Compare(b.first)
	})
	labels := make([]string, len(order))
	rowOf := make(map[string]int, len(order))
	for i, r := range order {
		labels[i], rowOf[r.node] = r.label, i
	}
	return labels, rowOf
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// axis draws the time axis at y, with ticks of elapsed time.
func axis(b *strings.Builder, start time.Time, span time.Duration, x func(time.Time) float64, y int) {
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", labelWidth, y, labelWidth+plotWidth, y)
	step := tickStep(span)
	for d := time.Duration(0); d <= span; d += step {
		tx := x(start.Add(d))
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="black"/><text x="%.1f" y="%d" text-anchor="middle">+%s</text>`+"\n",
			tx, y, tx, y+4, tx, y+16, d)
	}
}

// tickStep returns a round step that gives about eight ticks over span.
func tickStep(span time.Duration) time.Duration {
	for _, s := range []time.Duration{time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute,
		5 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour, 24 * time.Hour} {
		if span/s <= 8 {
			return s
		}
	}
	return span / 8
}

// held draws the number of slots held over time as a step line, and max as a dashed line.
func held(b *strings.Builder, c Chart, x func(time.Time) float64, top int) {
	type change struct {
		t time.Time
		d int
	}
	var changes []change
	for _, cy := range c.Cycles {
		if !cy.Taken.IsZero() {
			changes = append(changes, change{cy.Taken, +1}, change{cy.End(c.Now), -1})
		}
	}
	slices.SortStableFunc(changes, func(a, b change) int {
		return cmp.Or(a.t.Compare(b.t), cmp.Compare(a.d, b.d)) // a release before a grant at one instant
	})
	peak := max(c.Max, 1)
	for n, i := 0, 0; i < len(changes); i++ {
		n += changes[i].d
		peak = max(peak, n)
	}
	y := func(n int) float64 { return float64(top+countPlot) - float64(n)/float64(peak)*countPlot }
	fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">slots held</text>`+"\n", labelWidth-6, y(peak/2))
	fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%d</text>`+"\n", labelWidth-6, y(peak)+4, peak)
	var pts []string
	n := 0
	prev := float64(labelWidth)
	for _, ch := range changes {
		cx := x(ch.t)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f %.1f,%.1f", prev, y(n), cx, y(n)))
		n += ch.d
		prev = cx
	}
	pts = append(pts, fmt.Sprintf("%.1f,%.1f %d,%.1f", prev, y(n), labelWidth+plotWidth, y(n)))
	fmt.Fprintf(b, `<polyline class="held" points="%s" fill="none" stroke="#337ab7" stroke-width="2"/>`+"\n", strings.Join(pts, " "))
	if c.Max >= 0 {
		fmt.Fprintf(b, `<line class="max" x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#d9534f" stroke-dasharray="6,4"/><text x="%d" y="%.1f" fill="#d9534f">max %d</text>`+"\n",
			labelWidth, y(c.Max), labelWidth+plotWidth, y(c.Max), labelWidth+plotWidth+4, y(c.Max)+4, c.Max)
	}
}

func legend(b *strings.Builder, x, y int) {
	for _, p := range []history.Phase{history.PhaseWaiting, history.PhaseHolding, history.PhaseDown, history.PhaseChecks} {
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n", x, y-9, colours[p], x+14, y, p)
		x += 90
	}
}

func esc(s string) string { return html.EscapeString(s) }

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
