package engine

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/dadi-dev/dadi/internal/fixtures"
)

func writeFile(t testing.TB, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

type manifestHeader struct {
	Flags       uint32 `json:"flags"`
	IndexOffset uint64 `json:"index_offset"`
	IndexSize   uint64 `json:"index_size_entries"`
	VirtualSize uint64 `json:"virtual_size"`
	UUID        string `json:"uuid"`
	ParentUUID  string `json:"parent_uuid"`
	Version     uint8  `json:"version"`
	SubVersion  uint8  `json:"sub_version"`
}

type fileRec struct {
	Size    int64           `json:"size"`
	SHA256  string          `json:"sha256"`
	Header  *manifestHeader `json:"lsmt_header"`
	Trailer *manifestHeader `json:"lsmt_trailer"`
}

func fileRecord(t testing.TB, m *fixtures.Manifest, name string) fileRec {
	t.Helper()
	var r fileRec
	if err := json.Unmarshal(m.Files[name], &r); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}
