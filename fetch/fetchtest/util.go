package fetchtest

import (
	"io"
	"log"

	"github.com/opencontainers/go-digest"
)

func nullLogger() *log.Logger { return log.New(io.Discard, "", 0) }

func digestOf(s string) digest.Digest { return digest.Digest(s) }
