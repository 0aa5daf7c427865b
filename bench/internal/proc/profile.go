package proc

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
)

// ProfileEnv names the environment variable that, set to a folder, makes
// the harness and each child write a CPU profile of its whole life there,
// as <role>-<pid>.pprof. Children inherit it.
const ProfileEnv = "BENCH_CPUPROFILE_DIR"

// Profile starts the CPU profile of this process if ProfileEnv is set and
// returns the function that ends it (a no-op otherwise).
func Profile(role string) (stop func(), err error) {
	dir := os.Getenv(ProfileEnv)
	if dir == "" {
		return func() {}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return func() {}, err
	}
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s-%d.pprof", role, os.Getpid())))
	if err != nil {
		return func() {}, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
