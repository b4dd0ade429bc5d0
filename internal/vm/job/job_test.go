package job

import (
	"errors"
	"os"
	"reflect"
	"testing"
)

func TestJobRoundTrip(t *testing.T) {
	j := &Job{
		Argv:     []string{"sh", "-c", "echo 'a b' \"$X\"\n"},
		Path:     "/bin/sh",
		Dir:      "/work/main",
		Env:      []string{"X=1=2", "EMPTY=", "UNICODE=é"},
		CopyIn:   []string{"/tmp/go-build1/b001/x.test"},
		MakeDirs: []string{"/tmp/d"},
		Modules:  []Module{{Name: "configfs"}, {Name: "null_blk", Params: "nr_devices=0"}},
		Verbose:  true,
	}
	b, err := j.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, j) {
		t.Errorf("got %+v\nwant %+v", got, j)
	}
}

func TestDecodeJobRejects(t *testing.T) {
	for _, s := range []string{
		`{`,
		`{"argv":[],"path":"/bin/sh","dir":"/"}`,
		`{"argv":["sh"],"path":"sh","dir":"/"}`,
		`{"argv":["sh"],"path":"/bin/sh","dir":"work"}`,
	} {
		if _, err := Decode([]byte(s)); err == nil {
			t.Errorf("Decode(%s) succeeded", s)
		}
	}
}

func TestNewJob(t *testing.T) {
	t.Setenv("TMPDIR", "/tmp/vmrun-test-tmpdir")
	t.Chdir("/")
	look := func(name string) (string, error) {
		if name == "missing" {
			return "", errors.New("not found")
		}
		return "/tmp/go-build9/b001/" + name, nil
	}
	j, err := New([]string{"pkg.test", "-test.v"}, look)
	if err != nil {
		t.Fatal(err)
	}
	if j.Path != "/tmp/go-build9/b001/pkg.test" || j.Dir != "/" || !reflect.DeepEqual(j.Argv, []string{"pkg.test", "-test.v"}) {
		t.Errorf("got %+v", j)
	}
	if !reflect.DeepEqual(j.CopyIn, []string{"/tmp/go-build9/b001/pkg.test"}) {
		t.Errorf("CopyIn = %v", j.CopyIn)
	}
	if !reflect.DeepEqual(j.MakeDirs, []string{"/tmp/vmrun-test-tmpdir"}) {
		t.Errorf("MakeDirs = %v", j.MakeDirs)
	}
	if len(j.Env) < len(os.Environ()) {
		t.Errorf("environment not forwarded whole")
	}
	if _, err := New([]string{"missing"}, look); err == nil {
		t.Error("a missing command must fail")
	}
}

func TestUnderTmp(t *testing.T) {
	for p, want := range map[string]bool{
		"/tmp": true, "/tmp/": true, "/tmp/a/b": true, "/tmpfoo": false, "/var/tmp/x": false, "/tmp/../etc": false,
	} {
		if underTmp(p) != want {
			t.Errorf("underTmp(%q) = %v", p, !want)
		}
	}
}

func TestTmpTopAndBinds(t *testing.T) {
	for in, want := range map[string]string{
		"/tmp/ci/main/engine": "/tmp/ci",
		"/tmp/ci":             "/tmp/ci",
		"/tmp":                "",
		"/tmp/":               "",
		"/work/main":          "",
		"relative/tmp/x":      "",
		"":                    "",
	} {
		if got := tmpTop(in); got != want {
			t.Errorf("tmpTop(%q) = %q, want %q", in, got, want)
		}
	}
	j := &Job{BindIn: []string{"/tmp/ci"}}
	if !j.bound("/tmp/ci/main/x.test") || j.bound("/tmp/cix/y") || j.bound("/tmp/other") {
		t.Error("bound() is wrong about /tmp/ci")
	}
}
