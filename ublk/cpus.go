package ublk

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// cpuList formats a CPU set the way /proc's Cpus_allowed_list does ("0-3,6").
func cpuList(s *unix.CPUSet) string {
	var parts []string
	n := len(s) * 64
	for i := 0; i < n; i++ {
		if !s.IsSet(i) {
			continue
		}
		j := i
		for j+1 < n && s.IsSet(j+1) {
			j++
		}
		if j == i {
			parts = append(parts, strconv.Itoa(i))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", i, j))
		}
		i = j
	}
	return strings.Join(parts, ",")
}

// ParseCPUList reads a list such as "0-3,6" into CPU numbers in the order given.
func ParseCPUList(s string) ([]int, error) {
	var cpus []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("bad CPU %q in list %q", part, s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("bad CPU range %q in list %q", part, s)
			}
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	if len(cpus) == 0 {
		return nil, fmt.Errorf("empty CPU list %q", s)
	}
	return cpus, nil
}
