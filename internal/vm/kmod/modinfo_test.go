package kmod

import (
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
