# dadi — see README.md. Two entry points for a newcomer: `make demo` and `make test`.
GO       ?= go
export CGO_ENABLED = 0
# Packages with real-kernel tests: their files carry the `vm` build tag and their tests are
# named TestVM*, so only those run in the VM. cmd/vmrun's own VM tests boot VMs from the host
# and run there (test-vmrun).
PKGS_VM  ?= $(filter-out ./cmd/vmrun/,$(sort $(dir $(shell grep -rl --include='*_test.go' '^//go:build.*\bvm\b' . 2>/dev/null))))
VMRUN    := $(CURDIR)/bin/vmrun
# staticcheck, built from the Go module proxy at this version by `make lint`.
STATICCHECK_VERSION ?= v0.8.2

.PHONY: all build prepare test test-host test-vm test-vmrun demo vet lint check-generate bench bench-vm-randwrite bench-ublk bench-image clean generate

# The steps of `make test` must run in the order written, -j or not.
.NOTPARALLEL:

all: build

build:
	@mkdir -p bin
	$(GO) build -trimpath -o bin/dadi ./cmd/dadi
	$(GO) build -trimpath -o bin/vmrun ./cmd/vmrun

# Rebuild the committed bpf2go output (ebpf/blocktrace_bpfel.{go,o}) from ebpf/bpf/*.c with
# Debian's clang and libbpf headers; bpf2go itself is pinned by go.mod's tool directive.
generate:
	@command -v clang >/dev/null && command -v llvm-strip >/dev/null && test -f /usr/include/bpf/bpf_helpers.h || \
		apt-get install -y --no-install-recommends clang llvm libbpf-dev
	$(GO) generate ./ebpf/...

# Fails if `make generate` changes the committed bpf2go output; see the script for how an
# object from another clang release is judged.
check-generate:
	GO=$(GO) MAKE=$(MAKE) sh scripts/check-generate.sh

vet:
	$(GO) vet ./...
	$(GO) vet -tags vm ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "not gofmt-clean:"; gofmt -l $$(git ls-files '*.go'); exit 1)

# staticcheck over the tree, with and without the vm tag; scripts/staticcheck-known.txt lists
# the findings that are known and do not fail.
lint:
	GO=$(GO) STATICCHECK_VERSION=$(STATICCHECK_VERSION) sh scripts/lint.sh

# First what needs neither root nor network beyond the Go module proxy: build, vet, lint, the
# bpf2go check (which installs clang with apt-get once) and the host tests (io_uring, codecs,
# formats). Then what does: prepare (apt, kernel download), vmrun's own VM tests, and the
# real-kernel tests, each compiled test binary run inside a fresh VM booted by bin/vmrun.
test: build vet lint test-host check-generate prepare test-vmrun test-vm

# Installs the VM's tools (apt) and downloads the test kernel once.
prepare: build
	$(VMRUN) --prepare

# The host tests: nothing here boots a VM (those tests carry the vm tag).
test-host:
	$(GO) test -count=1 ./...

# vmrun's tests boot VMs themselves (and build their own vmrun), so they run on the host.
test-vmrun: prepare
	$(GO) test -count=1 -tags vm -run '^TestVM' ./cmd/vmrun/

# The distribution registry for the registry tests (cmd/dadi/registry_vm_test.go), built from
# the Go module proxy at a pinned version; not part of go.mod, so dadi does not depend on it.
REGISTRY_VERSION ?= v3.1.2
bin/registry:
	@mkdir -p bin
	GOBIN=$(CURDIR)/bin $(GO) install -trimpath github.com/distribution/distribution/v3/cmd/registry@$(REGISTRY_VERSION)

# Bounds per package: under TCG on a loaded host cmd/dadi's tests alone take over 15 minutes
# (TestVMBench about 10); go test's timeout comes before vmrun's, so a hang shows its stacks.
test-vm: build bin/registry
	$(VMRUN) --prepare
	$(GO) test -count=1 -p 1 -tags vm -exec '$(VMRUN) --timeout 75m --' -timeout 60m -run '^TestVM' $(PKGS_VM)

demo: build
	$(VMRUN) --prepare
	$(VMRUN) -- $(CURDIR)/scripts/demo.sh $(CURDIR)/bin/dadi

# Go benchmarks of the hot paths (uring NOP round trip, index lookup, ZFile and engine reads,
# whole-file ZFile compress and decompress against the bare codec),
# each BENCH_COUNT times so benchstat can tell a change from noise; the output is kept in
# out/bench/go-REV.txt (REV: the commit, -dirty with local changes). Compare two with
# `go run golang.org/x/perf/cmd/benchstat@latest A.txt B.txt`. BENCH=regexp picks some.
BENCH       ?= .
BENCH_COUNT ?= 6
bench:
	@mkdir -p out/bench
	@f=out/bench/go-$$(git rev-parse --short HEAD 2>/dev/null || echo none)$$(git diff --quiet HEAD 2>/dev/null || echo -dirty).txt; \
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -count $(BENCH_COUNT) ./... 2>&1 | tee $$f; \
	echo "benchmarks written to $$f"; ! grep -q '^FAIL' $$f

# Whether random writes slow down as the writable index grows: one minute of fio 4k randwrite
# (iodepth 32) in the VM, reported as the last 10 s over the first 10 s (last10/first10).
bench-vm-randwrite: build
	$(VMRUN) --prepare
	$(GO) test -count=1 -tags vm -run '^$$' -bench '^BenchmarkVMRandWriteSteady$$' -benchtime=1x -exec '$(VMRUN) --' -timeout 20m ./engine/

# A fio matrix in one VM boot: `dadi bench` on a dadi null device (reference: null_blk) and on
# a dadi file target over a tmpfs file (reference: loop over the same file). The reports land
# in out/bench-ublk/{null,file}/ on this host. BENCH_MATRIX=perf/codec.matrix picks another.
BENCH_MATRIX ?= perf/quick.matrix
bench-ublk: build
	$(VMRUN) --prepare
	@rm -rf out/bench-ublk && mkdir -p out/bench-ublk
	$(VMRUN) -- sh -c '$(CURDIR)/bin/dadi bench --null 1G --matrix $(BENCH_MATRIX) -o /tmp/out/null >&2 && \
		fallocate -l 512M /tmp/file.img && \
		$(CURDIR)/bin/dadi bench --file /tmp/file.img --allow-write --matrix $(BENCH_MATRIX) -o /tmp/out/file >&2 && \
		tar -C /tmp/out -cf - .' | tar -C out/bench-ublk -xf -
	@for t in null file; do echo; echo "== dadi $$t (ratios to $$( [ $$t = null ] && echo null_blk || echo loop) in the same boot)"; \
		grep '^|' out/bench-ublk/$$t/report.md; done
	@echo "reports: out/bench-ublk/null/report.md out/bench-ublk/file/report.md"

clean:
	rm -rf bin .cache .tmp
