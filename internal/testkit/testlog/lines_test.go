package testlog_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/testkit/testlog"
)

func TestWriteSplitsLinesAcrossWrites(t *testing.T) {
	var l testlog.Lines
	for _, p := range []string{"one\ntw", "o\n", "", "three", "\nfour"} {
		if n, err := l.Write([]byte(p)); n != len(p) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", p, n, err)
		}
	}
	if n := l.Len(); n != 3 {
		t.Fatalf("Len() = %d, want 3 (four is not ended)", n)
	}
	if s := l.String(); s != "one\ntwo\nthree\nfour" {
		t.Fatalf("String() = %q", s)
	}
	l.Write([]byte("\n"))
	if s := l.String(); s != "one\ntwo\nthree\nfour" {
		t.Fatalf("String() once every line is ended = %q", s)
	}
	l.Write([]byte("five"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if _, _, err := l.Wait(ctx, 0, "five"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait for an unended line: %v, want the deadline", err)
	}
}

func TestWaitFromAMark(t *testing.T) {
	var l testlog.Lines
	l.Add("level=INFO msg=a n=1")
	l.Add("level=INFO msg=b n=2")
	ctx := context.Background()
	if i, line, err := l.Wait(ctx, 0, "level=INFO", "n=2"); i != 1 || line != "level=INFO msg=b n=2" || err != nil {
		t.Fatalf("Wait = %d, %q, %v", i, line, err)
	}
	mark := l.Len()
	done := make(chan error, 1)
	go func() {
		i, _, err := l.Wait(ctx, mark, "msg=a")
		if err == nil && i != mark+1 {
			err = fmt.Errorf("index %d, want %d", i, mark+1)
		}
		done <- err
	}()
	l.Add("msg=c")
	fmt.Fprintln(&l, "msg=a again")
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Wait did not see the line written after the mark")
	}
}

func TestWaitEndsWithItsContext(t *testing.T) {
	var l testlog.Lines
	l.Add("nothing to see")
	cause := errors.New("test over")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(cause)
	_, _, err := l.Wait(ctx, 0, "something")
	if !errors.Is(err, cause) || err.Error() != `no line with ["something"]: test over` {
		t.Fatalf("Wait = %v", err)
	}
}
