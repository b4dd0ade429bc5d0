package vm

import (
	"testing"

	"github.com/dadi-dev/dadi/internal/vm/job"
)

// The guest reports vmrun's statuses through package job, the host returns its own copies
// in options.go; they must be the same numbers, or a guest that cannot exec a command would
// exit with a status the host documents as something else.
func TestStatusesMatchJob(t *testing.T) {
	for _, s := range []struct {
		name      string
		host, job int
	}{
		{"timeout", StatusTimeout, job.StatusTimeout},
		{"failed", StatusFailed, job.StatusFailed},
		{"cannot exec", StatusCannotExec, job.StatusCannotExec},
		{"not found", StatusNotFound, job.StatusNotFound},
	} {
		if s.host != s.job {
			t.Errorf("%s: vm says %d, job says %d", s.name, s.host, s.job)
		}
	}
}
