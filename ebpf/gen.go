package ebpf

// The C source is in bpf/, a directory of C alone: Go refuses .c files beside Go files when cgo
// is off. The generated blocktrace_bpfel.go and blocktrace_bpfel.o are committed so `go build`
// needs no clang; `make generate` rebuilds them with Debian's clang and libbpf-dev headers.
//go:generate go tool bpf2go -cc clang -cflags "-O2 -g -Wall -Werror -I/usr/include/x86_64-linux-gnu" -target bpfel -type event blocktrace bpf/blocktrace.c
