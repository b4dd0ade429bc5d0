package perf

import (
	"fmt"
	"os/exec"
	"strings"
)

// micros formats a latency given in microseconds: "85µs", "1.25ms".
func micros(us float64) string {
	switch {
	case us >= 10000:
		return fmt.Sprintf("%.0fms", us/1000)
	case us >= 1000:
		return fmt.Sprintf("%.2fms", us/1000)
	case us >= 10:
		return fmt.Sprintf("%.0fµs", us)
	default:
		return fmt.Sprintf("%.1fµs", us)
	}
}

// kilo formats a count with k or M: "950", "12.3k", "1.05M".
func kilo(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	case v >= 1e3:
		return fmt.Sprintf("%.2fk", v/1e3)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

// times formats a ratio with two significant digits at least: "1.25x", "0.048x".
func times(r float64) string {
	if r < 0.1 {
		return fmt.Sprintf("%.3fx", r)
	}
	return fmt.Sprintf("%.2fx", r)
}

func fioVersion() string {
	out, err := exec.Command("fio", "--version").Output()
	if err != nil {
		return "fio (version unknown)"
	}
	return strings.TrimSpace(string(out))
}
