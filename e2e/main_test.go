package e2e_test

import (
	"os"
	"testing"

	"github.com/flatcar/locksmith/internal/testbin"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testbin.Cleanup()
	os.Exit(code)
}
