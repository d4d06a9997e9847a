package sim

import (
	"errors"
	"strings"
	"testing"
)

// A run that needs more open files than the process may open is refused before it starts, with
// both numbers (10 000 nodes used to die while starting, without a word).
func TestOpenFilesNamedBeforeTheRun(t *testing.T) {
	o := Defaults()
	o.Nodes = 10000
	err := o.checkOpenFiles(20000)
	if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "10000 nodes need about 20256 open files") || !strings.Contains(err.Error(), "(20000)") {
		t.Fatalf("checkOpenFiles = %v", err)
	}
	o.Endpoints = []string{"http://127.0.0.1:2379"} // the server's ends are elsewhere
	if err := o.checkOpenFiles(20000); err != nil {
		t.Fatalf("with an outside etcd: %v", err)
	}
	o.Endpoints, o.Nodes = nil, 1000
	if err := o.checkOpenFiles(20000); err != nil {
		t.Fatalf("1000 nodes: %v", err)
	}
}
