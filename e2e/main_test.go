package e2e_test

import (
	"testing"

	"locksmith.dev/locksmith/internal/testkit/testbin"
)

func TestMain(m *testing.M) { testbin.Main(m) }
