package fetch

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// overlaybd's own example config loads, with its keys in force.
func TestGlobalConfigOverlaybdExample(t *testing.T) {
	g, err := ParseGlobalConfig([]byte(`{
    "logConfig": {"logLevel": 1, "logPath": "/var/log/overlaybd.log"},
    "cacheConfig": {"cacheType": "file", "cacheDir": "/opt/overlaybd/registry_cache", "cacheSizeGB": 4},
    "gzipCacheConfig": {"enable": true, "cacheDir": "/opt/overlaybd/gzip_cache", "cacheSizeGB": 4},
    "credentialConfig": {"mode": "file", "path": "/opt/overlaybd/cred.json"},
    "ioEngine": 0,
    "download": {"enable": true, "delay": 600, "delayExtra": 30, "maxMBps": 100},
    "p2pConfig": {"enable": false, "address": "localhost:19145/dadip2p"},
    "exporterConfig": {"enable": false, "uriPrefix": "/metrics", "port": 9863, "updateInterval": 60000000},
    "enableAudit": true,
    "auditPath": "/var/log/overlaybd-audit.log",
    "registryFsVersion": "v2"
}`), "overlaybd.json")
	if err != nil {
		t.Fatal(err)
	}
	if g.EffectiveCacheDir() != "/opt/overlaybd/registry_cache" || g.CacheSizeBytes() != 4<<30 || g.CacheConfig.BlockSize != 65536 {
		t.Fatalf("cache: %s %d %d", g.EffectiveCacheDir(), g.CacheSizeBytes(), g.CacheConfig.BlockSize)
	}
	if g.CredentialFile() != "/opt/overlaybd/cred.json" {
		t.Fatalf("credentials: %s", g.CredentialFile())
	}
	if d := g.Download; !d.Enable || d.Delay != 600 || d.TryCnt != 5 || d.BlockSize != 262144 {
		t.Fatalf("download: %+v (tryCnt and blockSize keep their defaults)", d)
	}
	if g.P2PConfig.Address != "localhost:19145/dadip2p" || g.PrefetchConfig.Concurrency != 16 {
		t.Fatalf("p2p %+v prefetch %+v", g.P2PConfig, g.PrefetchConfig)
	}
}

// An empty file is the defaults; legacy top-level keys apply when cacheConfig.cacheType and
// credentialConfig.mode are empty, as in overlaybd.
func TestGlobalConfigLegacyKeys(t *testing.T) {
	g, err := ParseGlobalConfig([]byte(`{}`), "empty")
	if err != nil {
		t.Fatal(err)
	}
	if g.EffectiveCacheType() != "file" || g.EffectiveCacheDir() != "/opt/overlaybd/registry_cache" || g.CacheSizeBytes() != 4<<30 || g.CredentialFile() != "/opt/overlaybd/cred.json" {
		t.Fatalf("defaults: %s %s %d %s", g.EffectiveCacheType(), g.EffectiveCacheDir(), g.CacheSizeBytes(), g.CredentialFile())
	}
	g, err = ParseGlobalConfig([]byte(`{"registryCacheDir": "/old/cache", "registryCacheSizeGB": 9,
		"credentialFilePath": "/old/cred.json", "cacheType": "ocf", "cacheConfig": {"cacheDir": "/new/ignored"}}`), "legacy")
	if err != nil {
		t.Fatal(err)
	}
	if g.EffectiveCacheDir() != "/old/cache" || g.CacheSizeBytes() != 9<<30 || g.EffectiveCacheType() != "ocf" || g.CredentialFile() != "/old/cred.json" {
		t.Fatalf("legacy: %s %d %s %s", g.EffectiveCacheDir(), g.CacheSizeBytes(), g.EffectiveCacheType(), g.CredentialFile())
	}
}

func TestGlobalConfigErrors(t *testing.T) {
	for _, bad := range []string{
		`{"cacheConfig": {"cacheType": "tape"}}`,
		`{"ioEngine": 7}`,
		`{"cacheConfig": {"blockSize": 1000}}`,
		`{"credentialConfig": {"mode": "ldap"}}`,
		`{"fetchConfig": {"maxInflight": 0}}`,
		`{"download": {"delay": -1}}`,
		`{"cacheConfig": {"cacheSizeGB": "four"}}`,
		`{"logConfig": `,
	} {
		if _, err := ParseGlobalConfig([]byte(bad), "bad.json"); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", bad, err)
		}
	}
}

func TestLoadGlobalConfig(t *testing.T) {
	if _, err := LoadGlobalConfig(filepath.Join(t.TempDir(), "absent.json")); err == nil {
		t.Fatal("a missing --global-config file loaded")
	}
	p := filepath.Join(t.TempDir(), "g.json")
	os.WriteFile(p, []byte(`{"cacheConfig": {"cacheType": "file", "cacheDir": "/x", "cacheSizeMB": 3}}`), 0o644)
	g, err := LoadGlobalConfig(p)
	if err != nil || g.Path != p || g.CacheSizeBytes() != 3<<20 {
		t.Fatalf("%+v, %v", g, err)
	}
}

func TestDownloadConfigImageWins(t *testing.T) {
	global := DefaultDownloadConfig()
	global.Enable = true
	d, err := ParseDownloadConfig(nil, global)
	if err != nil || d != global {
		t.Fatalf("no image section: %+v %v", d, err)
	}
	d, err = ParseDownloadConfig(json.RawMessage(`{"enable": false, "maxMBps": 5}`), global)
	if err != nil || d.Enable || d.MaxMBps != 5 || d.Delay != 300 {
		t.Fatalf("image section: %+v %v", d, err)
	}
}

func FuzzParseGlobalConfig(f *testing.F) {
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"cacheConfig": {"cacheType": "file", "cacheDir": "/c", "cacheSizeGB": 1, "blockSize": 4096}, "p2pConfig": {"enable": true, "address": "a"}}`))
	f.Add([]byte(`{"registryCacheDir": "/old", "registryCacheSizeGB": 2, "credentialFilePath": "/c.json", "download": {"enable": true}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := ParseGlobalConfig(b, "fuzz")
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error without ErrConfig: %v", err)
			}
			return
		}
		// What parsed re-encodes and parses to the same config.
		out, err := json.Marshal(g)
		if err != nil {
			t.Fatal(err)
		}
		g2, err := ParseGlobalConfig(out, "fuzz")
		if err != nil {
			t.Fatalf("re-encoded config does not parse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(g, g2) {
			t.Fatalf("round trip changed the config:\n%+v\n%+v", g, g2)
		}
		if g.CacheSizeBytes() < 0 {
			t.Fatalf("negative cache size %d", g.CacheSizeBytes())
		}
	})
}
