// Package manpages writes locksmith's manual pages from the programs' own flags, so that they
// say what --help says: locksmithd(8), locksmithctl(1) with a page per command, and
// locksmith-update.conf(5). "go run ./internal/manpages/gen docs/man" (make man) writes them;
// a test fails when the committed pages are out of date.
package manpages

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"github.com/spf13/pflag"

	"locksmith.dev/locksmith/internal/ctl"
	"locksmith.dev/locksmith/internal/daemon/config"
)

// date is the pages' date: fixed, so that the pages change only when the flags do.
var date = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// Generate writes every page into dir and returns their names.
func Generate(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	pages := map[string][]byte{
		"locksmithd.8":            locksmithd(),
		"locksmith-update.conf.5": updateConf(),
	}
	root := ctl.Command()
	root.DisableAutoGenTag = true
	header := &doc.GenManHeader{Title: "LOCKSMITHCTL", Section: "1", Source: "locksmith", Manual: "locksmith", Date: &date}
	var err error
	walk(root, func(c *cobra.Command) {
		if err != nil || !c.IsAvailableCommand() && c != root || c.HasParent() && c.Parent().Name() == "completion" {
			return // one page for completion, not one per shell
		}
		// The texts are plain, not Markdown: keep md2man from reading LOCKSMITHCTL_<OPTION> as
		// emphasis and HTML.
		c.Long = markdownEscaper.Replace(c.Long)
		var buf bytes.Buffer
		h := *header
		h.Title = strings.ToUpper(strings.ReplaceAll(c.CommandPath(), " ", "-"))
		if err = doc.GenMan(c, &h, &buf); err == nil {
			pages[strings.ReplaceAll(c.CommandPath(), " ", "-")+".1"] = buf.Bytes()
		}
	})
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(pages))
	for name, body := range pages {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// markdownEscaper escapes what Markdown would read as markup.
var markdownEscaper = strings.NewReplacer("_", `\_`, "<", `\<`, ">", `\>`, "*", `\*`)

// walk calls f on c and every command below it.
func walk(c *cobra.Command, f func(*cobra.Command)) {
	f(c)
	for _, sub := range c.Commands() {
		walk(sub, f)
	}
}

// roff escapes text for a page.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// flagsSection lists the flags of fs, sorted, as roff tagged paragraphs.
func flagsSection(b *bytes.Buffer, fs *pflag.FlagSet) {
	fs.SortFlags = true
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Deprecated != "" {
			return
		}
		name, usage := pflag.UnquoteUsage(f)
		fmt.Fprintf(b, ".TP\n\\fB\\-\\-%s\\fP", roff(f.Name))
		if f.Shorthand != "" {
			fmt.Fprintf(b, ", \\fB\\-%s\\fP", f.Shorthand)
		}
		if name != "" {
			fmt.Fprintf(b, " \\fI%s\\fP", roff(name))
		}
		b.WriteString("\n" + roff(usage))
		if d := f.DefValue; d != "" && d != "false" && d != "[]" && d != "0s" {
			fmt.Fprintf(b, " (default: %s)", roff(d))
		}
		b.WriteString("\n")
	})
}

// locksmithd returns locksmithd(8).
func locksmithd() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, ".TH LOCKSMITHD 8 %q \"locksmith\" \"locksmith\"\n", date.Format("Jan 2006"))
	b.WriteString(`.SH NAME
locksmithd \- reboot coordinator of a fleet: reboots this host in its window, under a slot of its group's semaphore
.SH SYNOPSIS
\fBlocksmithd\fP [\fIflags\fP]
.SH DESCRIPTION
When an update needs a reboot, \fBlocksmithd\fP waits for the host's reboot window, takes one of
\fImax\fP slots of its group's counting semaphore (in etcd, or through a FleetLock server),
reboots through logind, and gives the slot back once the host is up and its post\-reboot checks
pass. Every flag \fB\-\-some\-flag\fP is also read from \fBLOCKSMITHD_SOME_FLAG\fP (see
\fBlocksmith\-update.conf\fP(5)); a flag on the command line wins.
.SH OPTIONS
`)
	flagsSection(&b, config.FlagSet())
	b.WriteString(`.SH EXIT STATUS
0 after a clean stop, \-\-help or \-\-version; 2 for an invalid configuration (the unit does not
restart on it); 1 when the daemon cannot run.
.SH FILES
/etc/flatcar/update.conf, /etc/coreos/update.conf (and their /usr/share defaults): the
configuration. /run/update\-engine/coordinator.conf: NAME=, STRATEGY= and STATE=.
/var/lib/locksmith/slot.json: the slot this node holds across a reboot.
.SH SEE ALSO
\fBlocksmithctl\fP(1), \fBlocksmith\-update.conf\fP(5), \fBsystemd\-sysext\fP(8)
`)
	return b.Bytes()
}

// updateConf returns locksmith-update.conf(5): every variable locksmithd reads, with its flag.
func updateConf() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, ".TH LOCKSMITH\\-UPDATE.CONF 5 %q \"locksmith\" \"locksmith\"\n", date.Format("Jan 2006"))
	b.WriteString(`.SH NAME
locksmith\-update.conf \- locksmithd's settings in /etc/flatcar/update.conf
.SH DESCRIPTION
The unit of \fBlocksmithd\fP(8) reads /usr/share/flatcar/update.conf, /usr/share/coreos/update.conf,
/etc/flatcar/update.conf and /etc/coreos/update.conf, in that order, as environment files:
lines \fBNAME=value\fP. A variable set to the empty string counts as unset. The file is
old locksmith's; its variables keep their meaning. Each variable below sets the flag named with
it; where several are listed, the first one set wins.
.SH VARIABLES
`)
	fs := config.FlagSet()
	fs.SortFlags = true
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Deprecated != "" || f.Name == "help" || f.Name == "version" {
			return
		}
		_, usage := pflag.UnquoteUsage(f)
		usage, _, _ = strings.Cut(usage, " [$")
		fmt.Fprintf(&b, ".TP\n\\fB%s\\fP\n%s (\\fB\\-\\-%s\\fP)\n", roff(strings.Join(config.Variables(f.Name), ", ")), roff(usage), roff(f.Name))
	})
	b.WriteString(`.SH EXAMPLE
.nf
REBOOT_STRATEGY=etcd\-lock
LOCKSMITHD_ENDPOINT=https://10.0.0.1:2379,https://10.0.0.2:2379
LOCKSMITHD_ETCD_CAFILE=/etc/ssl/etcd/ca.pem
LOCKSMITHD_REBOOT_WINDOW_START="Thu 04:00"
LOCKSMITHD_REBOOT_WINDOW_LENGTH=1h
.fi
.SH SEE ALSO
\fBlocksmithd\fP(8), \fBlocksmithctl\fP(1)
`)
	return b.Bytes()
}
