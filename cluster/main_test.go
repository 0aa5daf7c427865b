package lockercluster_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind, except those of
// protoactor and gRPC that the real-cluster tests cannot stop (see
// leakIgnores).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, leakIgnores...) }
