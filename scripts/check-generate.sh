#!/bin/sh
# Fails when `make generate` changes the committed bpf2go output (ebpf/blocktrace_bpfel.{go,o}),
# so a change to ebpf/bpf/*.c cannot land without its regenerated object.
#
# The object's bytes depend on the clang release. The committed one comes from PINNED_CLANG
# (Debian bookworm's clang, which `make generate` installs here); with that clang the
# regenerated object must be byte-identical. With another clang only the shape is compared
# (programs, maps, variables, BTF struct layouts: ebpf/internal/objshape), after the generated
# Go, which bpf2go derives from the object's BTF, has been found identical; the committed
# object is then put back, since its bytes are the pinned clang's.
set -eu
PINNED_CLANG="Debian clang version 14.0.6"
GO=${GO:-go}
obj=ebpf/blocktrace_bpfel.o
out='ebpf/*_bpfel.*' # what bpf2go writes: other files in ebpf/ may be work in progress

${MAKE:-make} --no-print-directory generate
changed=$(git status --porcelain -- "$out")
if [ -z "$changed" ]; then
	echo "check-generate: make generate left $out unchanged (byte-identical)"
	exit 0
fi
clang=$(clang --version | head -n 1)
if [ "$changed" != " M $obj" ] || [ "${clang#"$PINNED_CLANG"}" != "$clang" ]; then
	echo "check-generate: make generate changed the committed bpf2go output ($clang):" >&2
	git status --short -- "$out" >&2
	git --no-pager diff --stat -- "$out" >&2
	echo "commit the regenerated files, or find why they differ" >&2
	exit 1
fi
committed=$(mktemp)
trap 'rm -f "$committed"' EXIT
git show ":$obj" >"$committed"
if ! $GO run ./ebpf/internal/objshape "$committed" "$obj"; then
	echo "check-generate: $obj from $clang differs in shape from the committed one ($PINNED_CLANG); lines above" >&2
	exit 1
fi
git checkout -- "$obj"
echo "check-generate: $clang builds an object of the same shape as the committed one ($PINNED_CLANG); bytes differ, committed object kept"
