# dadi — see README.md. Two entry points for a newcomer: `make demo` and `make test`.
GO       ?= go
export CGO_ENABLED = 0
# Packages with real-kernel tests: their files carry the `vm` build tag and their tests are
# named TestVM*, so only those run in the VM.
PKGS_VM  ?= $(sort $(dir $(shell grep -rl --include='*_test.go' '^//go:build.*\bvm\b' . 2>/dev/null)))
VMRUN    := $(CURDIR)/bin/vmrun

.PHONY: all build test test-host test-vm demo vet bench bench-ublk clean

all: build

build:
	@mkdir -p bin
	$(GO) build -trimpath -o bin/dadi ./cmd/dadi
	$(GO) build -trimpath -o bin/vmrun ./cmd/vmrun

vet:
	$(GO) vet ./...
	$(GO) vet -tags vm ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "not gofmt-clean:"; gofmt -l $$(git ls-files '*.go'); exit 1)

# Unit tests on the host kernel (io_uring, codecs, formats), then the real-kernel tests, each
# compiled test binary run inside a fresh VM booted by bin/vmrun.
test: build vet test-host test-vm

test-host:
	$(GO) test -count=1 ./...

test-vm: build
	$(VMRUN) --prepare
	$(GO) test -count=1 -p 1 -tags vm -exec '$(VMRUN) --' -timeout 20m -run '^TestVM' $(PKGS_VM)

demo: build
	$(VMRUN) --prepare
	$(VMRUN) -- $(CURDIR)/scripts/demo.sh $(CURDIR)/bin/dadi

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# fio in one VM boot: dadi null, dadi file and the kernel loop device, with ratios to loop.
bench-ublk: build
	$(GO) build -o bin/ublkbench ./perf/ublkbench
	$(VMRUN) --prepare
	$(VMRUN) -- $(CURDIR)/bin/ublkbench -dadi $(CURDIR)/bin/dadi

clean:
	rm -rf bin .cache .tmp
