// Command dadi serves container and VM images as Linux block devices through ublk.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "dadi:", err)
		os.Exit(1)
	}
}
