package main

import (
	"slices"
	"testing"
)

func TestShapeOfCommittedObject(t *testing.T) {
	got, err := shape("../../blocktrace_bpfel.o")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`program block_rq_issue type=RawTracepoint attach=None section=raw_tracepoint/block_rq_issue license="Dual MIT/GPL"`,
		"map inflight type=Hash key=8:__u64 value=48:start max=16384 flags=0x0",
		"struct event size=56 members=10",
		"struct request.q offset=0 bits=0 size=8 type=*request_queue",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("shape lacks %q", want)
		}
	}
	if d := diff(got, got); len(d) != 0 {
		t.Errorf("an object differs from itself: %v", d)
	}
	changed := slices.Clone(got)
	changed[0] += " extra"
	slices.Sort(changed)
	if d := diff(got, changed); len(d) != 2 {
		t.Errorf("one changed line gave %d diff lines: %v", len(d), d)
	}
	if _, err := shape("main.go"); err == nil {
		t.Error("a non-ELF file gave a shape")
	}
}
