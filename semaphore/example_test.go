package semaphore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/semaphore"
)

// Two slots, three nodes: the third waits until a holder gives its slot back.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, stop, err := startEtcd(ctx) // a real etcd on loopback, for the example
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()

	s := semaphore.New(client, semaphore.DefaultGroup)
	defer s.Close()
	if _, err := s.SetMax(ctx, 2); err != nil {
		fmt.Println(err)
		return
	}
	for _, id := range []string{"node-a", "node-b"} {
		if err := s.Acquire(ctx, semaphore.Holder{ID: id, Reason: "reboot"}); err != nil {
			fmt.Println(err)
			return
		}
	}
	err = s.TryAcquire(ctx, semaphore.Holder{ID: "node-c"})
	fmt.Println("node-c may take a slot now:", !errors.Is(err, semaphore.ErrFull))

	acquired := make(chan error)
	go func() { acquired <- s.Acquire(ctx, semaphore.Holder{ID: "node-c", Reason: "reboot"}) }()
	if err := s.Release(ctx, "node-a"); err != nil {
		fmt.Println(err)
		return
	}
	if err := <-acquired; err != nil {
		fmt.Println(err)
		return
	}
	st, err := s.Get(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("max %d, free %d, holders:", st.Max, st.Free())
	for _, h := range st.Holders {
		fmt.Print(" ", h.ID)
	}
	fmt.Println()
	// Output:
	// node-c may take a slot now: false
	// max 2, free 0, holders: node-b node-c
}

// startEtcd starts an embedded etcd member and returns a client of it.
func startEtcd(ctx context.Context) (*clientv3.Client, func(), error) {
	dir, err := os.MkdirTemp("", "semaphore-example")
	if err != nil {
		return nil, nil, err
	}
	srv, err := embedetcd.Start(ctx, embedetcd.Config{Dir: dir})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, err
	}
	client, err := clientv3.New(clientv3.Config{Endpoints: srv.Endpoints(), DialTimeout: 10 * time.Second})
	if err != nil {
		srv.Close()
		_ = os.RemoveAll(dir)
		return nil, nil, err
	}
	return client, func() {
		_ = client.Close()
		srv.Close()
		_ = os.RemoveAll(dir)
	}, nil
}
