package promapi_test

import (
	"errors"
	"testing"

	"locksmith.dev/locksmith/internal/promapi"
	"locksmith.dev/locksmith/internal/testkit/promtest"
)

func TestQueryAnswersVectorsScalarsAndErrors(t *testing.T) {
	p := promtest.StartT(t, nil)
	c := promapi.Client{URL: p.URL}
	ctx := t.Context()
	got, err := c.Query(ctx, `vector(3) * on() group_left() label_replace(vector(1), "a", "b", "", "")`)
	if err != nil || len(got) != 1 || got[0].Value != 3 {
		t.Errorf("a vector: %+v, %v", got, err)
	}
	if got, err := c.Query(ctx, "1 + 1"); err != nil || len(got) != 1 || got[0].Value != 2 {
		t.Errorf("a scalar: %+v, %v", got, err)
	}
	if got, err := c.Query(ctx, "ALERTS"); err != nil || len(got) != 0 {
		t.Errorf("no alerts: %+v, %v", got, err)
	}
	if _, err := c.Query(ctx, "sum(("); !errors.Is(err, promapi.ErrBadQuery) {
		t.Errorf("a bad query: %v, want ErrBadQuery", err)
	}
	if _, err := (promapi.Client{URL: "http://127.0.0.1:1"}).Query(ctx, "up"); err == nil || errors.Is(err, promapi.ErrBadQuery) {
		t.Errorf("an unreachable Prometheus: %v", err)
	}
}
