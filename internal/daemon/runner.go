package daemon

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// ShellRunner is the [Runner] of the real daemon: it runs each command with
// /bin/sh -c in its own process group, and on ctx's end sends SIGTERM to
// the group, then SIGKILL if it has not exited 10 seconds later.
type ShellRunner struct{}

// commandWaitDelay is how long a stopped command may take to exit before
// ShellRunner kills it.
const commandWaitDelay = 10 * time.Second

// maxOutput is how much of a failed command's output its error quotes.
const maxOutput = 1024

// Run runs command and returns nil if it exits 0. Otherwise the error
// carries the exit status (or ctx's cause if ctx ended first) and the end
// of the command's combined output.
func (ShellRunner) Run(ctx context.Context, command string) error {
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = commandWaitDelay
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("stopped: %w", context.Cause(ctx))
	}
	if o := strings.TrimSpace(out.String()); o != "" {
		if len(o) > maxOutput {
			o = "…" + o[len(o)-maxOutput:]
		}
		return fmt.Errorf("%w; output: %s", err, o)
	}
	return err
}
