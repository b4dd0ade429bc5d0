package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dadi-dev/dadi/internal/fixtures"
)

// runZfileCLI runs `dadi args...` in-process and returns stdout, stderr and the error.
func runZfileCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.Execute()
	return out.String(), errb.String(), err
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// zfileFixtureFiles lists the ZFile fixtures that carry a decompressed digest.
func zfileFixtureFiles(t *testing.T) (*fixtures.Manifest, map[string]string) {
	m := fixtures.Load(t)
	want := map[string]string{}
	for rel, raw := range m.Files {
		var f struct {
			Header *json.RawMessage `json:"zfile_header"`
			SHA    string           `json:"decompressed_sha256"`
		}
		require.NoError(t, json.Unmarshal(raw, &f))
		if f.Header != nil && f.SHA != "" {
			want[rel] = f.SHA
		}
	}
	// The manifest gives no decompressed digest for the merged ZFile; overlaybd-merge wrote the
	// same flattened layer uncompressed as A/merged-L012.lsmt.
	if raw, ok := m.Files["A/merged-L012.lsmt"]; ok {
		var f struct {
			SHA string `json:"sha256"`
		}
		require.NoError(t, json.Unmarshal(raw, &f))
		want["A/merged-L012.zfile"] = f.SHA
	}
	require.NotEmpty(t, want)
	return m, want
}

func TestZfileDecompressFixtures(t *testing.T) {
	m, want := zfileFixtureFiles(t)
	dir := t.TempDir()
	rels := make([]string, 0, len(want))
	for rel := range want {
		rels = append(rels, rel)
	}
	sort.Strings(rels)
	for _, rel := range rels {
		dst := filepath.Join(dir, filepath.Base(rel)+".out")
		_, _, err := runZfileCLI(t, "zfile", "decompress", m.Path(rel), dst)
		require.NoError(t, err, rel)
		assert.Equal(t, want[rel], fileSHA256(t, dst), rel)
		os.Remove(dst)
	}
}

func TestZfileVerifyReportsBadBlock(t *testing.T) {
	m := fixtures.Load(t)
	src := m.Path("A/L1.lz4-4k.zfile")
	out, _, err := runZfileCLI(t, "zfile", "verify", src)
	require.NoError(t, err)
	assert.Contains(t, out, "ok: 45 blocks")

	// Damage one byte inside block 7 of a copy: the block starts after the 512-byte header and
	// the stored lengths of blocks 0-6 (read from the index the trailer points to).
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	tr := b[len(b)-512:]
	ioff := binary.LittleEndian.Uint64(tr[40:])
	off := uint64(512)
	for i := range 7 {
		off += uint64(binary.LittleEndian.Uint32(b[ioff+uint64(4*i):]))
	}
	b[off+10] ^= 0x20
	bad := filepath.Join(t.TempDir(), "bad.zfile")
	require.NoError(t, os.WriteFile(bad, b, 0o644))
	_, _, err = runZfileCLI(t, "zfile", "verify", bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad block 7 of 45")
	assert.Contains(t, err.Error(), "bad.zfile")
	// decompress refuses it too, and leaves no output behind.
	dst := filepath.Join(t.TempDir(), "out")
	_, _, err = runZfileCLI(t, "zfile", "decompress", bad, dst)
	assert.Error(t, err)
	assert.NoFileExists(t, dst)
}

func TestZfileCompress(t *testing.T) {
	m := fixtures.Load(t)
	dir := t.TempDir()
	src := m.Path("A/L0.lsmt")
	// overlaybd-commit -z -t defaults: dadi's file is overlaybd's, byte for byte.
	tarOut := filepath.Join(dir, "L0.tar")
	out, _, err := runZfileCLI(t, "zfile", "compress", "--tar", src, tarOut)
	require.NoError(t, err)
	assert.Contains(t, out, "955392 bytes")
	assert.Equal(t, fileSHA256(t, m.Path("A/L0.lz4-4k.zfile.tar")), fileSHA256(t, tarOut))

	for _, args := range [][]string{
		{"--algorithm", "zstd", "--bs", "16K"},
		{"--algorithm", "lz4", "--bs", "32", "--no-verify"},
		{"--algorithm", "zstd", "--bs", "65536", "--level", "9", "--workers", "1"},
	} {
		z := filepath.Join(dir, "out.zfile")
		_, _, err := runZfileCLI(t, append(append([]string{"zfile", "compress"}, args...), src, z)...)
		require.NoError(t, err, args)
		info, _, err := runZfileCLI(t, "zfile", "info", z)
		require.NoError(t, err)
		assert.Contains(t, info, "uncompressed:   1000448 bytes")
		assert.Contains(t, info, "flags 0x1b (header, data, header rewritten, digest)")
		assert.Contains(t, info, "flags 0x16 (trailer, data, sealed, digest)")
		back := filepath.Join(dir, "back")
		_, _, err = runZfileCLI(t, "zfile", "decompress", z, back)
		require.NoError(t, err)
		assert.Equal(t, fileSHA256(t, src), fileSHA256(t, back), args)
	}

	// 64 KiB blocks of incompressible data: the warning overlaybd users need.
	_, stderr, err := runZfileCLI(t, "zfile", "compress", "--bs", "64K", src, filepath.Join(dir, "64k.zfile"))
	require.NoError(t, err)
	assert.Contains(t, stderr, "overlaybd cannot read this file back")
	assert.Contains(t, stderr, "32 KiB or less")
	info, _, err := runZfileCLI(t, "zfile", "info", filepath.Join(dir, "64k.zfile"))
	require.NoError(t, err)
	assert.Contains(t, info, "warning:")

	_, _, err = runZfileCLI(t, "zfile", "compress", "--bs", "3K", src, filepath.Join(dir, "x"))
	assert.Error(t, err)
	_, _, err = runZfileCLI(t, "zfile", "compress", "--algorithm", "gzip", src, filepath.Join(dir, "x"))
	assert.Error(t, err)
	_, _, err = runZfileCLI(t, "zfile", "info", src) // an LSMT file, not a ZFile
	assert.ErrorContains(t, err, "not a ZFile")
}

func TestParseZfileBlockSize(t *testing.T) {
	for in, want := range map[string]int{
		"4": 4096, "64": 65536, "4K": 4096, "16k": 16384, "32KiB": 32768, "64KB": 65536, "65536": 65536, "8192": 8192,
	} {
		got, err := parseZfileBlockSize(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "K", "-4", "x4"} {
		_, err := parseZfileBlockSize(in)
		assert.Error(t, err, in)
	}
}
