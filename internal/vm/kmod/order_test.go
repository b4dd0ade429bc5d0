package kmod

import (
	"fmt"
	"reflect"
	"testing"
)

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
	got, err := LoadOrder([]string{"ublk_drv", "loop", "null-blk", "a"}, depends)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ublk_drv", "loop", "configfs", "null_blk", "c", "b", "a"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}

	deps["c"] = []string{"a"}
	if _, err := LoadOrder([]string{"a"}, depends); err == nil {
		t.Error("a cycle must be an error")
	}
	if _, err := LoadOrder([]string{"nope"}, depends); err == nil {
		t.Error("a missing module must be an error")
	}
}
