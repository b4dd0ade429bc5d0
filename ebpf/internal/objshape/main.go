// Command objshape prints what a BPF object file offers its loader, one fact a line, sorted:
// programs (name, type, attach type, section, license), maps (name, type, key and value
// sizes and BTF types, max entries, flags), global variables, and the layout of every
// named BTF struct and union (member names, bit offsets, sizes). Two objects compiled from
// the same source by different clang releases differ in their bytes (instruction selection,
// string table order) but must not differ in this shape; `make check-generate` compares the
// shapes when the committed object came from another clang than the one at hand.
//
//	go run ./ebpf/internal/objshape OBJ [OBJ2]
//
// With two objects it prints only the lines that differ and exits 1 if any do.
package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
)

func main() {
	if len(os.Args) != 2 && len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: objshape OBJ [OBJ2]")
		os.Exit(2)
	}
	a, err := shape(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "objshape:", err)
		os.Exit(2)
	}
	if len(os.Args) == 2 {
		fmt.Println(strings.Join(a, "\n"))
		return
	}
	b, err := shape(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "objshape:", err)
		os.Exit(2)
	}
	if d := diff(a, b); len(d) > 0 {
		fmt.Println(strings.Join(d, "\n"))
		os.Exit(1)
	}
}

// shape reads the object at path and lists its loader-visible facts, sorted.
func shape(path string) ([]string, error) {
	spec, err := ebpf.LoadCollectionSpec(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range spec.Programs {
		out = append(out, fmt.Sprintf("program %s type=%v attach=%v section=%s license=%q",
			p.Name, p.Type, p.AttachType, p.SectionName, p.License))
	}
	for _, m := range spec.Maps {
		out = append(out, fmt.Sprintf("map %s type=%v key=%d:%s value=%d:%s max=%d flags=%#x",
			m.Name, m.Type, m.KeySize, typeName(m.Key), m.ValueSize, typeName(m.Value), m.MaxEntries, m.Flags))
	}
	for name, v := range spec.Variables {
		out = append(out, fmt.Sprintf("variable %s size=%d", name, v.Size()))
	}
	if spec.Types != nil {
		for t := range spec.Types.All() {
			out = append(out, layout(t)...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// layout describes a named struct or union member by member; other types are left out,
// since they only matter through the composites that use them.
func layout(t btf.Type) []string {
	var kind string
	var members []btf.Member
	var size uint32
	switch c := t.(type) {
	case *btf.Struct:
		kind, members, size = "struct", c.Members, c.Size
	case *btf.Union:
		kind, members, size = "union", c.Members, c.Size
	default:
		return nil
	}
	if t.TypeName() == "" {
		return nil
	}
	out := []string{fmt.Sprintf("%s %s size=%d members=%d", kind, t.TypeName(), size, len(members))}
	for _, m := range members {
		sz, _ := btf.Sizeof(m.Type)
		out = append(out, fmt.Sprintf("%s %s.%s offset=%d bits=%d size=%d type=%s",
			kind, t.TypeName(), m.Name, m.Offset, m.BitfieldSize, sz, typeName(m.Type)))
	}
	return out
}

// typeName names t in C's terms, spelling out pointers and arrays, or gives its kind when
// it has no name (an anonymous struct).
func typeName(t btf.Type) string {
	if t == nil {
		return "-"
	}
	if n := t.TypeName(); n != "" {
		return n
	}
	switch c := t.(type) {
	case *btf.Pointer:
		return "*" + typeName(c.Target)
	case *btf.Array:
		return fmt.Sprintf("[%d]%s", c.Nelems, typeName(c.Type))
	}
	return fmt.Sprintf("%T", t)
}

// diff lists the lines only one of the sorted lists a and b holds, marked - and +.
func diff(a, b []string) []string {
	var out []string
	for _, l := range a {
		if _, found := slices.BinarySearch(b, l); !found {
			out = append(out, "- "+l)
		}
	}
	for _, l := range b {
		if _, found := slices.BinarySearch(a, l); !found {
			out = append(out, "+ "+l)
		}
	}
	return out
}
