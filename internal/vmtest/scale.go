package vmtest

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// ScaleEnv names the one knob for how slow the test machine is: every deadline a test depends
// on is multiplied by it. Unset it is 1, and the bases are set so that an unloaded machine
// (and the VM under TCG on it) passes with room to spare; a loaded or slower host sets e.g.
// DADI_TEST_TIME_SCALE=4. Bounds only grow with it: a test that passes fast stays fast.
const ScaleEnv = "DADI_TEST_TIME_SCALE"

var scale = sync.OnceValue(func() float64 {
	s := os.Getenv(ScaleEnv)
	if s == "" {
		return 1
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 1 || f > 1000 {
		// A typo must not shrink every deadline to nothing or make them endless.
		fmt.Fprintf(os.Stderr, "vmtest: %s=%q is not a number from 1 to 1000; using 1\n", ScaleEnv, s)
		return 1
	}
	return f
})

// Scale is d multiplied by DADI_TEST_TIME_SCALE.
func Scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) * scale())
}

// Poll calls ok every interval until it returns true or Scale(bound) has passed, and says
// whether it returned true. ok runs at least once, and once more at the deadline.
func Poll(bound, interval time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(Scale(bound))
	for {
		if ok() {
			return true
		}
		if time.Now().After(deadline) {
			return ok()
		}
		time.Sleep(interval)
	}
}
