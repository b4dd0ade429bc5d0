package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dadi-dev/dadi/internal/vm"
	"github.com/dadi-dev/dadi/internal/vm/guest"
)

func main() {
	if guest.IsGuest() {
		guest.Main() // Does not return.
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is vmrun on the host; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vmrun", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cpus := fs.Int("cpus", 2, "virtual CPUs")
	mem := fs.String("mem", "2G", "guest memory (e.g. 512M, 4G)")
	timeout := fs.Duration("timeout", 30*time.Minute, "kill the VM after this long")
	verbose := fs.Bool("verbose", os.Getenv("DADI_VM_VERBOSE") == "1", "show the guest's console and boot timing live (or DADI_VM_VERBOSE=1)")
	prepare := fs.Bool("prepare", false, "only install the host tools and download the guest kernel")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: vmrun [--cpus N] [--mem SIZE] [--timeout D] [--verbose] -- COMMAND [ARGS...]\n       vmrun --prepare")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *prepare {
		if fs.NArg() > 0 {
			fmt.Fprintln(stderr, "vmrun: --prepare takes no command")
			return 2
		}
		if _, err := vm.Prepare(stderr); err != nil {
			fmt.Fprintln(stderr, "vmrun:", err)
			return vm.StatusFailed
		}
		return 0
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	memMiB, err := vm.ParseMem(*mem)
	if err != nil {
		fmt.Fprintln(stderr, "vmrun:", err)
		return 2
	}
	accel, err := vm.ParseAccel(os.Getenv("DADI_VM_ACCEL"))
	if err != nil {
		fmt.Fprintln(stderr, "vmrun:", err)
		return 2
	}
	if *cpus < 1 || *timeout <= 0 {
		fmt.Fprintln(stderr, "vmrun: --cpus and --timeout must be positive")
		return 2
	}
	status, err := vm.Run(fs.Args(), vm.Options{
		CPUs: *cpus, MemMiB: memMiB, Timeout: *timeout, Verbose: *verbose, Accel: accel,
		Stdout: stdout, Stderr: stderr,
	})
	if err != nil {
		fmt.Fprintln(stderr, "vmrun:", err)
	}
	return status
}
