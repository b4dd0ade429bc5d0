package vm

import "testing"

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
