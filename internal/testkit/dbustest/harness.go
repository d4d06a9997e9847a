package dbustest

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"locksmith.dev/locksmith/internal/logind"
	"locksmith.dev/locksmith/updateengine"
)

// ErrUsage is returned (wrapped) by [RunHarness] for wrong arguments.
var ErrUsage = errors.New("usage: dbus-harness [--dir DIR]")

// RunHarness runs a private bus with the update_engine and logind stand-ins
// and serves the line protocol of the dbus-harness program (see its package
// documentation in cmd/dbus-harness) on in and out, until the quit command,
// the end of in, or the end of ctx. args are the program's arguments
// (--dir DIR). It stops the stand-ins and the bus before it returns. It
// returns an error wrapping [ErrUsage] for wrong arguments, an error if the
// bus or a stand-in cannot start, and nil otherwise: a bad command is
// answered with an error line, not returned.
func RunHarness(ctx context.Context, args []string, in io.Reader, out io.Writer) error {
	flags := flag.NewFlagSet("dbus-harness", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	dir := flags.String("dir", "", "directory for the bus's socket, configuration and log (default: a new temporary directory, removed on exit)")
	if err := flags.Parse(args); err != nil {
		return fmt.Errorf("dbus-harness: %w: %w", ErrUsage, err)
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("dbus-harness: %w: unexpected arguments %q", ErrUsage, flags.Args())
	}
	if *dir == "" {
		tmp, err := os.MkdirTemp("", "dbus-harness-")
		if err != nil {
			return fmt.Errorf("dbus-harness: %w", err)
		}
		defer os.RemoveAll(tmp)
		*dir = tmp
	}
	h, err := startHarness(ctx, *dir, out)
	if err != nil {
		return err
	}
	defer h.close()
	h.print("DBUS_SYSTEM_BUS_ADDRESS=" + h.bus.Address())
	return h.serve(ctx, in)
}

// harness is a running bus with both stand-ins and the output they share.
type harness struct {
	bus    *Bus
	ue     *UpdateEngine
	logind *Logind
	outMu  sync.Mutex
	out    io.Writer
}

func startHarness(ctx context.Context, dir string, out io.Writer) (h *harness, err error) {
	h = &harness{out: out}
	if h.bus, err = StartBus(ctx, dir); err != nil {
		return nil, err
	}
	if h.ue, err = ServeUpdateEngine(h.bus, updateengine.Status{CurrentOperation: updateengine.StatusIdle}); err != nil {
		_ = h.bus.Close()
		return nil, err
	}
	if h.logind, err = ServeLogind(h.bus); err != nil {
		_ = h.ue.Close()
		_ = h.bus.Close()
		return nil, err
	}
	h.logind.OnReboot(func() { h.print("reboot") })
	return h, nil
}

func (h *harness) close() {
	_ = h.logind.Close()
	_ = h.ue.Close()
	_ = h.bus.Close()
}

// print writes one line to the output; event lines come from other
// goroutines than command replies.
func (h *harness) print(line string) {
	h.outMu.Lock()
	defer h.outMu.Unlock()
	fmt.Fprintln(h.out, line)
}

// serve answers the commands read from in until quit, the end of in or the
// end of ctx.
func (h *harness) serve(ctx context.Context, in io.Reader) error {
	lines, stop := make(chan string), make(chan struct{})
	defer close(stop)
	go func() {
		defer close(lines)
		scanner := bufio.NewScanner(in)
		for scanner.Scan() {
			select {
			case lines <- scanner.Text():
			case <-stop:
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				return nil
			}
			reply, quit := h.command(ctx, strings.Fields(line))
			h.print(reply)
			if quit {
				return nil
			}
		}
	}
}

// command runs one command and returns its reply line, and whether to stop.
func (h *harness) command(ctx context.Context, words []string) (reply string, quit bool) {
	if len(words) == 0 {
		return "error empty command", false
	}
	name, args := words[0], words[1:]
	var err error
	switch name {
	case "status", "emit", "signal":
		err = h.status(name, args)
	case "restart-update-engine":
		err = noArgs(args)
		if err == nil {
			err = h.ue.Restart()
		}
	case "fail-reboot":
		if len(args) == 0 {
			err = errors.New("fail-reboot needs a message")
		} else {
			h.logind.FailReboot(RebootError(strings.Join(args, " ")))
		}
	case "ok-reboot":
		err = noArgs(args)
		if err == nil {
			h.logind.FailReboot(nil)
		}
	case "sessions":
		err = h.sessions(args)
	case "reboot-calls":
		if err = noArgs(args); err == nil {
			return "ok " + strconv.Itoa(h.logind.RebootCalls()), false
		}
	case "quit":
		return "ok", true
	default:
		err = fmt.Errorf("unknown command %q", name)
	}
	if err != nil {
		return "error " + err.Error(), false
	}
	return "ok", false
}

// status runs status, emit and signal: OPERATION [NEW_VERSION].
func (h *harness) status(name string, args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return fmt.Errorf("%s needs OPERATION [NEW_VERSION]", name)
	}
	st := updateengine.Status{CurrentOperation: args[0]}
	if len(args) == 2 {
		st.NewVersion = args[1]
	}
	switch name {
	case "status":
		h.ue.SetStatus(st)
		return nil
	case "emit":
		return h.ue.SetStatusAndEmit(st)
	default:
		return h.ue.Emit(st)
	}
}

// sessions runs the sessions command: each argument is one session.
func (h *harness) sessions(args []string) error {
	sessions := make([]logind.Session, 0, len(args))
	for _, arg := range args {
		s, err := parseSession(arg)
		if err != nil {
			return err
		}
		sessions = append(sessions, s)
	}
	h.logind.SetSessions(sessions)
	return nil
}

// parseSession parses key=value,key=value into a session.
func parseSession(arg string) (logind.Session, error) {
	var s logind.Session
	for field := range strings.SplitSeq(arg, ",") {
		key, value, ok := strings.Cut(field, "=")
		if !ok {
			return s, fmt.Errorf("session field %q is not key=value", field)
		}
		var err error
		switch key {
		case "id":
			s.ID = value
		case "user":
			s.User = value
		case "uid":
			var uid uint64
			uid, err = strconv.ParseUint(value, 10, 32)
			s.UID = uint32(uid)
		case "seat":
			s.Seat = value
		case "tty":
			s.TTY = value
		case "remote_host":
			s.RemoteHost = value
		case "type":
			s.Type = value
		case "class":
			s.Class = value
		case "state":
			s.State = value
		case "remote":
			s.Remote, err = strconv.ParseBool(value)
		default:
			return s, fmt.Errorf("unknown session field %q", key)
		}
		if err != nil {
			return s, fmt.Errorf("session field %s: %w", key, err)
		}
	}
	return s, nil
}

// noArgs checks that a command got no arguments.
func noArgs(args []string) error {
	if len(args) != 0 {
		return fmt.Errorf("unexpected arguments %q", args)
	}
	return nil
}
