package vm

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConsoleTailKeepsPanicHeadline(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 200; i++ {
		if i == 100 {
			b.WriteString("[ 3.0] Kernel panic - not syncing: test\r\n")
		}
		fmt.Fprintf(&b, "[ 3.0] line %d\r\n", i)
	}
	path := filepath.Join(t.TempDir(), "console.log")
	c, err := startConsoleLog(strings.NewReader(b.String()), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := c.tail(40)
	if !strings.HasPrefix(got, "[ 3.0] Kernel panic") || !strings.HasSuffix(got, "line 199") || strings.Contains(got, "\r") {
		t.Errorf("tail:\n%s", got)
	}

	c, _ = startConsoleLog(strings.NewReader("a\nb\nc\n"), path, nil)
	if got := c.tail(2); got != "b\nc" {
		t.Errorf("plain tail = %q", got)
	}
}

func TestOutStreamWaitFor(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var dst bytes.Buffer
	s := copyStream(&dst, r)
	go func() {
		io.WriteString(w, "hello ")
		time.Sleep(20 * time.Millisecond)
		io.WriteString(w, "world")
	}()
	if !s.waitFor(11, 5*time.Second) {
		t.Fatalf("waitFor(11) gave up at %d bytes", s.n.Load())
	}
	w.Close()
	<-s.eof
	if dst.String() != "hello world" {
		t.Errorf("copied %q", dst.String())
	}
	if s.waitFor(12, time.Second) {
		t.Error("waitFor past the end of a closed stream succeeded")
	}
}
