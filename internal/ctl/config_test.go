package ctl_test

import (
	"context"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/semaphore"
)

// holdersOf returns the raw value of the semaphore key of group, "" when
// absent.
func rawValue(t *testing.T, srv *embedetcd.Server, group string) string {
	t.Helper()
	resp, err := srv.ClientT(t).Get(t.Context(), semaphore.Key(group))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) == 0 {
		return ""
	}
	return string(resp.Kvs[0].Value)
}

func TestGlobalOptionsAnywhere(t *testing.T) {
	srv := embedetcd.StartT(t)
	h := newHarness(t, nil) // no endpoint in the environment
	ep := srv.Endpoints()[0]
	for i, args := range [][]string{
		{"--endpoint", ep, "--group", "g0", "lock", otherID},
		{"lock", otherID, "--endpoint", ep, "--group", "g1"},
		{"lock", "--endpoint=" + ep, otherID, "--group=g2"},
		{"-endpoint", ep, "-group", "g3", "lock", otherID},
		{"-endpoint=" + ep, "lock", "-group=g4", otherID},
		{"lock", otherID, "-endpoint", ep, "-group", "g5", "-reason", "legacy"},
	} {
		h.run(args...).ok(t)
		group := "g" + string(rune('0'+i))
		if v := rawValue(t, srv, group); !strings.Contains(v, otherID) {
			t.Errorf("locksmithctl %q: value of group %s is %q", args, group, v)
		}
	}
	if v := rawValue(t, srv, "g5"); !strings.Contains(v, `"legacy"`) {
		t.Errorf("-reason legacy not recorded: %s", v)
	}
	if v := rawValue(t, srv, semaphore.DefaultGroup); v != "" {
		t.Errorf("default group written: %s", v)
	}
	for _, args := range [][]string{{"-json", "status", "-endpoint", ep}, {"status", "--endpoint", ep, "--json"}} {
		if out := h.run(args...).ok(t); !strings.HasPrefix(out, "{") {
			t.Errorf("locksmithctl %q printed %q", args, out)
		}
	}
}

func TestEndpointList(t *testing.T) {
	srv := embedetcd.StartT(t)
	h := newHarness(t, nil)
	dead := "http://127.0.0.1:1"
	ep := srv.Endpoints()[0]
	// A comma list and a repeated option both give several endpoints; the
	// client uses the live one.
	h.run("status", "--endpoint", dead+","+ep).ok(t)
	h.run("status", "--endpoint", dead, "--endpoint", ep).ok(t)
	h.env["LOCKSMITHCTL_ENDPOINT"] = dead + "," + ep
	h.run("status").ok(t)
}

func TestEnvironment(t *testing.T) {
	srv := embedetcd.StartT(t)
	h := newHarness(t, srv)
	h.env["LOCKSMITHCTL_GROUP"] = "from-env"
	h.env["LOCKSMITHCTL_JSON"] = "true"
	if out := h.run("status").ok(t); !strings.Contains(out, `"group": "from-env"`) {
		t.Fatalf("status with LOCKSMITHCTL_GROUP and LOCKSMITHCTL_JSON printed %q", out)
	}
	// The command line wins over the environment.
	expectOutput(t, "status --json=false --group x", h.run("status", "--json=false", "--group", "x").ok(t), "Available: 1\nMax: 1\n")

	h.env["LOCKSMITHCTL_TIMEOUT"] = "soon"
	h.run("status").fails(t, 2, `invalid value "soon" in LOCKSMITHCTL_TIMEOUT (for --timeout)`)
	h.run("status", "--timeout", "5s").ok(t) // the flag wins: the variable is not read
	delete(h.env, "LOCKSMITHCTL_TIMEOUT")
	h.env["LOCKSMITHCTL_JSON"] = "maybe"
	h.run("status").fails(t, 2, `invalid value "maybe" in LOCKSMITHCTL_JSON (for --json)`)
	// A bad environment value never hides the help.
	h.run("help").ok(t)
}

func TestUpdateConfFallback(t *testing.T) {
	srv := embedetcd.StartT(t)
	h := newHarness(t, nil)
	defaults := h.writeFile("usr-update.conf", "GROUP=stable\nLOCKSMITHD_GROUP=from-usr\nLOCKSMITHD_ENDPOINT=http://127.0.0.1:1\n")
	etc := h.writeFile("etc-update.conf", "# operator settings\nREBOOT_STRATEGY=etcd-lock\nLOCKSMITHD_ENDPOINT="+strings.Join(srv.Endpoints(), ",")+"\n")
	h.confFiles = []string{defaults, etc}

	// Endpoint from the later file, group from the earlier one.
	h.run("lock", otherID).ok(t)
	if v := rawValue(t, srv, "from-usr"); !strings.Contains(v, otherID) {
		t.Fatalf("lock did not use LOCKSMITHD_GROUP from update.conf: %q", v)
	}
	// LOCKSMITHCTL_* in the environment and options win over update.conf.
	h.env["LOCKSMITHCTL_GROUP"] = "from-env"
	h.run("lock", otherID).ok(t)
	h.run("lock", otherID, "--group", "from-flag").ok(t)
	for _, g := range []string{"from-env", "from-flag"} {
		if v := rawValue(t, srv, g); !strings.Contains(v, otherID) {
			t.Errorf("group %s not used: %q", g, v)
		}
	}
	// LOCKSMITHD_* is read from update.conf only, not from the process
	// environment.
	h.confFiles = nil
	h.confFiles = []string{h.dir + "/absent.conf"}
	h.env["LOCKSMITHD_ENDPOINT"] = strings.Join(srv.Endpoints(), ",")
	h.run("status", "--timeout", "300ms").fails(t, 1, "connection refused by 127.0.0.1:2379 (is etcd running?")
}

func TestUnreadableUpdateConfIsAWarning(t *testing.T) {
	srv := embedetcd.StartT(t)
	h := newHarness(t, nil)
	h.confFiles = []string{h.dir, h.writeFile("update.conf", "LOCKSMITHD_ENDPOINT="+srv.Endpoints()[0]+"\n")}
	r := h.run("status")
	expectOutput(t, "status", r.ok(t), "Available: 1\nMax: 1\n")
	if !strings.HasPrefix(r.stderr, "locksmithctl: warning: read environment file") || !strings.Contains(r.stderr, "its settings are not used") {
		t.Errorf("stderr = %q", r.stderr)
	}
	// Not read at all when every shared setting is given.
	h.confFiles = []string{h.dir}
	r = h.run("status", "--endpoint", srv.Endpoints()[0], "--group", "", "--etcd-cafile", "", "--etcd-certfile", "", "--etcd-keyfile", "",
		"--etcd-username", "", "--etcd-password", "", "--etcd-password-file", "")
	r.ok(t)
	if strings.Contains(r.stderr, "environment file") {
		t.Errorf("update.conf read although every setting was given: %q", r.stderr)
	}
}

func TestUnreachableEtcd(t *testing.T) {
	h := newHarness(t, nil)
	h.env["LOCKSMITHCTL_ENDPOINT"] = "http://127.0.0.1:1"
	h.env["LOCKSMITHCTL_TIMEOUT"] = "200ms"
	for _, args := range [][]string{
		{"status"}, {"lock"}, {"unlock"}, {"set-max", "2"}, {"repair", "--force"}, {"remove-stale", "--older-than", "1h"},
	} {
		h.run(args...).fails(t, 1, "connection refused by 127.0.0.1:1 (is etcd running? set --endpoint or LOCKSMITHCTL_ENDPOINT, or LOCKSMITHD_ENDPOINT in /etc/flatcar/update.conf)")
	}
}

func TestCompleteHolders(t *testing.T) {
	srv := embedetcd.StartT(t)
	h := newHarness(t, srv)
	h.run("set-max", "2").ok(t)
	h.run("lock").ok(t)
	h.run("lock", otherID).ok(t)
	out := h.run("__complete", "unlock", "").ok(t)
	want := thisID + "\tnode-1\n" + otherID + "\t-\n:4\n"
	if !strings.HasPrefix(out, want) {
		t.Errorf("__complete unlock '' = %q, want prefix %q", out, want)
	}
	// Waiters too, and lock completes the same ids; --group completes the groups that exist.
	c := srv.ClientT(t)
	sem := semaphore.New(c, semaphore.DefaultGroup)
	defer sem.Close()
	ctx, cancel := context.WithCancel(t.Context())
	queued := c.Watch(ctx, semaphore.Key(semaphore.DefaultGroup)+"/waiters/", clientv3.WithPrefix())
	waited := make(chan error, 1)
	go func() { waited <- sem.Acquire(ctx, semaphore.Holder{ID: "waiter-1"}) }()
	defer func() { cancel(); <-waited }()
	<-queued // the waiter key is in etcd
	if out := h.run("__complete", "lock", "").ok(t); !strings.HasPrefix(out, thisID+"\tnode-1\n"+otherID+"\t-\nwaiter-1\twaiting\n:4\n") {
		t.Errorf("__complete lock '' = %q, want the holders, then the waiter", out)
	}
	h.run("--group", "canary", "set-max", "1").ok(t)
	if out := h.run("__complete", "status", "--group", "").ok(t); !strings.HasPrefix(out, "canary\n:4\n") {
		t.Errorf("__complete status --group '' = %q, want canary", out)
	}
	// Without etcd there is nothing to offer, and no error.
	h.env["LOCKSMITHCTL_ENDPOINT"] = "http://127.0.0.1:1"
	h.env["LOCKSMITHCTL_TIMEOUT"] = "100ms"
	if out := h.run("__complete", "unlock", "").ok(t); !strings.HasPrefix(out, ":4\n") {
		t.Errorf("__complete unlock '' without etcd = %q", out)
	}
}
