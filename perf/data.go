package perf

import (
	"bufio"
	"math/rand/v2"
	"os"
)

// writeBaseData writes size bytes of benchmark data to path. Each 4 KiB block is half random
// bytes and half a repeated short text, so images compress about 2:1, as container layers
// roughly do: all-random data would make every codec look like pure overhead, and zeros would
// make them look free. The seed is fixed so runs compare.
func writeBaseData(path string, size int64) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewChaCha8([32]byte{'d', 'a', 'd', 'i'}))
	block := make([]byte, 4096)
	const text = "dadi bench base data; "
	for i := 2048; i < len(block); i++ {
		block[i] = text[i%len(text)]
	}
	for off := int64(0); off < size; off += int64(len(block)) {
		for i := 0; i < 2048; i += 8 {
			v := rng.Uint64()
			for k := range 8 {
				block[i+k] = byte(v >> (8 * k))
			}
		}
		n := min(int64(len(block)), size-off)
		if _, err := w.Write(block[:n]); err != nil {
			return err
		}
	}
	return w.Flush()
}
