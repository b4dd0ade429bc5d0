package vm

import (
	"fmt"
	"reflect"
	"testing"
)

func TestParseModinfoDepends(t *testing.T) {
	for in, want := range map[string][]string{
		"license=GPL\x00depends=configfs\x00name=null_blk\x00": {"configfs"},
		"depends=\x00name=loop\x00":                            nil,
		"name=x\x00depends=a,b-c\x00":                          {"a", "b_c"},
		"name=x\x00":                                           nil,
	} {
		if got := parseModinfoDepends([]byte(in)); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %v, want %v", in, got, want)
		}
	}
}

func TestModuleLoadOrder(t *testing.T) {
	deps := map[string][]string{
		"ublk_drv": nil,
		"loop":     nil,
		"null_blk": {"configfs"},
		"configfs": nil,
		"a":        {"b", "c"},
		"b":        {"c"},
		"c":        nil,
	}
	depends := func(name string) ([]string, error) {
		d, ok := deps[name]
		if !ok {
			return nil, fmt.Errorf("no module %s", name)
		}
		return d, nil
	}
	got, err := moduleLoadOrder([]string{"ublk_drv", "loop", "null-blk", "a"}, depends)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ublk_drv", "loop", "configfs", "null_blk", "c", "b", "a"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}

	deps["c"] = []string{"a"}
	if _, err := moduleLoadOrder([]string{"a"}, depends); err == nil {
		t.Error("a cycle must be an error")
	}
	if _, err := moduleLoadOrder([]string{"nope"}, depends); err == nil {
		t.Error("a missing module must be an error")
	}
}

func TestKernelPackage(t *testing.T) {
	out := "linux-image-cloud-amd64\n  Depends: linux-image-6.12.117+deb13-cloud-amd64\n"
	got, err := kernelPackage(out)
	if err != nil || got != "linux-image-6.12.117+deb13-cloud-amd64" {
		t.Errorf("got %q, %v", got, err)
	}
	if _, err := kernelPackage("linux-image-cloud-amd64\n  Recommends: x\n"); err == nil {
		t.Error("no Depends must be an error")
	}
}
