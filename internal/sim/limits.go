package sim

import (
	"fmt"
	"syscall"
)

// Open files a run needs: each node's etcd client holds a connection, and with the embedded etcd
// the server holds the other end in the same process; the margin covers etcd's own files, the
// FleetLock server and the admin client.
const (
	filesPerNode     = 1
	filesPerNodeEmbd = 2
	filesMargin      = 256
)

// openFilesNeeded returns how many open files a run of o needs, about.
func (o Options) openFilesNeeded() uint64 {
	per := filesPerNode
	if len(o.Endpoints) == 0 {
		per = filesPerNodeEmbd
	}
	return uint64(o.Nodes*per) + filesMargin
}

// checkOpenFiles fails, before the run starts, when the run needs more open files than limit
// (the process's limit; the Go runtime has raised the soft limit to the hard one), naming both.
func (o Options) checkOpenFiles(limit uint64) error {
	if need := o.openFilesNeeded(); need > limit {
		how := "2 per node with the embedded etcd"
		if len(o.Endpoints) > 0 {
			how = "1 per node"
		}
		return fmt.Errorf("%w: %d nodes need about %d open files (%s, plus %d), more than this process may open (%d): lower --nodes, raise the limit (ulimit -n), or give --endpoint of an etcd outside this process",
			ErrUsage, o.Nodes, need, how, filesMargin, limit)
	}
	return nil
}

// openFilesLimit returns the process's limit of open files.
func openFilesLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, fmt.Errorf("read the limit of open files: %w", err)
	}
	return l.Cur, nil
}
