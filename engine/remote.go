package engine

import (
	"errors"
	"sync"

	"github.com/dadi-dev/dadi/fetch"
	"github.com/dadi-dev/dadi/lsmt"
)

// Remote lowers: a `{dir, digest, size}` lower whose dir/overlaybd.commit is not there yet is
// read from `<repoBlobUrl>/<digest>` through fetch, lazily, block by block, via the node's
// block cache. The lowers of one image share a remoteSet: the fetch client (made for the
// image unless OpenOptions.Fetch gives one) and the background download; both end when the
// last remote lower is closed.

// remoteSet is what an image's remote lowers share.
type remoteSet struct {
	client    *fetch.Client
	ownClient bool
	global    *fetch.GlobalConfig
	image     string

	mu   sync.Mutex
	refs int
	jobs []fetch.DownloadJob
	dl   *fetch.Download
}

// remoteSource is a fetch.Blob as a layer Source; closing it releases the image's share.
type remoteSource struct {
	*fetch.Blob
	set *remoteSet
}

func (s *remoteSource) Close() error {
	err := s.Blob.Close()
	s.set.release()
	return err
}

// openLower opens lower i: its file, the blob already downloaded into its dir, or the blob in
// the registry.
func openLower(c *Config, i int, o OpenOptions, rs **remoteSet) (*lsmt.ROLayer, error) {
	kind, p, err := c.LocateLower(i)
	if err != nil {
		return nil, err
	}
	if kind != LowerRemote {
		return lsmt.OpenLayerFile(p)
	}
	if *rs == nil {
		set, err := newRemoteSet(c, o)
		if err != nil {
			return nil, err
		}
		*rs = set
	}
	return (*rs).open(c, c.Lowers[i])
}

func newRemoteSet(c *Config, o OpenOptions) (*remoteSet, error) {
	rs := &remoteSet{client: o.Fetch, global: o.Global, image: o.ImageName}
	if rs.image == "" {
		rs.image = c.Dir
	}
	if rs.client == nil {
		g := o.Global
		if g == nil {
			var err error
			if g, err = fetch.LoadGlobalConfig(""); err != nil {
				return nil, err
			}
		}
		client, err := fetch.NewClient(g, fetch.ClientOptions{})
		if err != nil {
			return nil, err
		}
		rs.client, rs.ownClient = client, true
	}
	rs.global = rs.client.Config()
	return rs, nil
}

// open opens one remote lower. A layer whose header or index fails its checks is opened once
// more after its cached blocks are dropped: the bytes may have been damaged on the way.
func (rs *remoteSet) open(c *Config, l LowerConfig) (*lsmt.ROLayer, error) {
	b, err := rs.client.OpenBlob(fetch.BlobRef{RepoBlobURL: c.RepoBlobURL, Digest: l.Digest, Size: l.Size, Image: rs.image})
	if err != nil {
		rs.maybeClose()
		return nil, err
	}
	rs.mu.Lock()
	rs.refs++
	rs.mu.Unlock()
	src := &remoteSource{Blob: b, set: rs}
	layer, err := lsmt.OpenLayer(src)
	if err != nil && errors.Is(err, ErrCorrupt) {
		b.Invalidate(0, b.Size())
		layer, err = lsmt.OpenLayer(src)
	}
	if err != nil {
		src.Close()
		return nil, err
	}
	if l.Dir != "" {
		rs.mu.Lock()
		rs.jobs = append(rs.jobs, fetch.DownloadJob{Blob: b, Dir: c.path(l.Dir)})
		rs.mu.Unlock()
	}
	return layer, nil
}

// startDownload starts the background download when the image's (or else the node's)
// download section enables it.
func (rs *remoteSet) startDownload(c *Config) error {
	if rs == nil {
		return nil
	}
	cfg, err := fetch.ParseDownloadConfig(c.Download, rs.global.Download)
	if err != nil {
		return err
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if cfg.Enable && len(rs.jobs) > 0 && rs.dl == nil {
		rs.dl = rs.client.StartDownload(rs.jobs, cfg)
	}
	return nil
}

// release drops one lower's share; the last one stops the download and closes the client.
func (rs *remoteSet) release() {
	rs.mu.Lock()
	rs.refs--
	last := rs.refs == 0
	dl := rs.dl
	rs.mu.Unlock()
	if last {
		if dl != nil {
			dl.Stop()
		}
		if rs.ownClient {
			rs.client.Close()
		}
	}
}

// maybeClose closes a client that no lower ended up using.
func (rs *remoteSet) maybeClose() {
	rs.mu.Lock()
	unused := rs.refs == 0
	rs.mu.Unlock()
	if unused && rs.ownClient {
		rs.client.Close()
	}
}

// Download is the image's background download, or nil.
func (img *Image) Download() *fetch.Download {
	for _, l := range img.lowers {
		if s, ok := l.Source().(*remoteSource); ok {
			s.set.mu.Lock()
			defer s.set.mu.Unlock()
			return s.set.dl
		}
	}
	return nil
}
