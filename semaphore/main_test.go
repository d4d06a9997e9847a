package semaphore

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when goroutines outlive them: every wait, lease keep-alive
// and watch ends with its call or with Close, and every test's etcd server with the test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
