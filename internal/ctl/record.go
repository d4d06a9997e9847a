package ctl

import (
	"context"
	"os/user"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/history/etcdlog"
)

// recordOperator appends an operator's command, which has succeeded, to the group's history,
// with the time and who ran it. A failure to record is a warning: the command itself is done.
func (r *run) recordOperator(ctx context.Context, e history.Event) {
	if r.client == nil {
		return
	}
	e.Time, e.By = r.cli.now(), r.operator()
	if err := etcdlog.New(r.client, r.opts.group, 0).Append(ctx, e); err != nil {
		r.warnf("%s is done, but could not be recorded in the history: %v", e.Kind, err)
	}
}

// operator names who runs locksmithctl, as user@host: the user who ran sudo, if any, else
// $USER, else the user of the process.
func (r *run) operator() string {
	name, _ := r.cli.lookupEnv("SUDO_USER")
	if name == "" {
		name, _ = r.cli.lookupEnv("USER")
	}
	if name == "" {
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
	}
	host := r.cli.hostname()
	if host == "" {
		return orDefault(name, "unknown")
	}
	return orDefault(name, "unknown") + "@" + host
}
