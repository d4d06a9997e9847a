package sim

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// progressInterval is how often the fleet reports its progress.
const progressInterval = 100 * time.Millisecond

// plainEvery is how often progress is printed when the output is not a
// terminal.
const plainEvery = 2 * time.Second

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// progressLine shows the progress of a fleet run: on a terminal as one
// line rewritten in place, otherwise as a plain line every plainEvery and
// at the end.
type progressLine struct {
	w       io.Writer
	tty     bool
	label   string
	total   int
	printed time.Duration // elapsed time of the last plain line; -1 before the first
}

func newProgressLine(w io.Writer, label string, total int) *progressLine {
	return &progressLine{w: w, tty: isTerminal(w), label: label, total: total, printed: -1}
}

// show prints the counts after elapsed; final marks the last call.
func (p *progressLine) show(elapsed time.Duration, c counts, final bool) {
	line := fmt.Sprintf("%-8s %6.1fs  waiting %d  holding %d  rebooting %d  done %d/%d  failed %d",
		p.label, elapsed.Seconds(), c[phaseStarting]+c[phaseWaiting], c[phaseHolding], c[phaseRebooting],
		c[phaseDone], p.total, c[phaseFailed])
	switch {
	case p.tty:
		end := ""
		if final {
			end = "\n"
		}
		fmt.Fprintf(p.w, "\r\x1b[K%s%s", line, end)
	case final || p.printed < 0 || elapsed-p.printed >= plainEvery:
		p.printed = elapsed
		fmt.Fprintln(p.w, line)
	}
}
