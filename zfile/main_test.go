package zfile

import (
	"os"
	"testing"
)

// TestMain removes the compressed files the benchmarks share.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchData.dir != "" {
		os.RemoveAll(benchData.dir)
	}
	os.Exit(code)
}
