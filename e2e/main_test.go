package e2e_test

import (
	"testing"

	"github.com/flatcar/locksmith/internal/testbin"
)

func TestMain(m *testing.M) { testbin.Main(m) }
