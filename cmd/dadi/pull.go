package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/dadi-dev/dadi/engine"
	"github.com/dadi-dev/dadi/fetch"
	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"
)

// loadGlobalConfig reads --global-config; "" leaves the choice to the engine (the default
// file, or the defaults when it is missing).
func loadGlobalConfig(path string) (*fetch.GlobalConfig, error) {
	if path == "" {
		return nil, nil
	}
	return fetch.LoadGlobalConfig(path)
}

func newPullCmd() *cobra.Command {
	var globalConfig string
	cmd := &cobra.Command{
		Use:   "pull CONFIG.json",
		Short: "Download every remote layer of an image into the node's block cache",
		Long: `Fetch every registry lower ({dir, digest, size} with repoBlobUrl) of an overlaybd
config.v1.json into the block cache (cacheConfig of the global config), with a progress bar
per layer, so that serving the image later asks the registry nothing. Lowers that are local
files, or already downloaded into their dir, are skipped.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPull(cmd, args[0], globalConfig)
		},
	}
	cmd.Flags().StringVar(&globalConfig, "global-config", "", "node-wide config (default "+fetch.DefaultGlobalConfigPath+")")
	return cmd
}

func runPull(cmd *cobra.Command, configPath, globalPath string) error {
	c, err := engine.LoadConfig(configPath)
	if err != nil {
		return err
	}
	g, err := fetch.LoadGlobalConfig(globalPath)
	if err != nil {
		return err
	}
	client, err := fetch.NewClient(g, fetch.ClientOptions{NoExporter: true})
	if err != nil {
		return err
	}
	defer client.Close()
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var blobs []*fetch.Blob
	defer func() {
		for _, b := range blobs {
			b.Close()
		}
	}()
	var total int64
	out := cmd.OutOrStdout()
	for i, l := range c.Lowers {
		kind, _, err := c.LocateLower(i)
		switch {
		case err != nil:
			return fmt.Errorf("lowers[%d] in %s: %w", i, configPath, err)
		case kind == engine.LowerFile:
			fmt.Fprintf(out, "lowers[%d]: local file, skipped\n", i)
			continue
		case kind == engine.LowerDownloaded:
			fmt.Fprintf(out, "lowers[%d]: %s already downloaded, skipped\n", i, l.Digest)
			continue
		}
		b, err := client.OpenBlob(fetch.BlobRef{RepoBlobURL: c.RepoBlobURL, Digest: l.Digest, Size: l.Size, Image: configPath})
		if err != nil {
			return fmt.Errorf("lowers[%d]: %w", i, err)
		}
		blobs = append(blobs, b)
		total += b.Size()
	}
	if len(blobs) == 0 {
		fmt.Fprintln(out, "nothing to pull")
		return nil
	}
	if lim := client.Cache().Limit(); total > lim {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: the image's remote layers (%d bytes) exceed the cache limit (%d bytes): the first blocks will be evicted again\n", total, lim)
	}

	bars := newPullBars(cmd.ErrOrStderr())
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(blobs))
	for i, b := range blobs {
		add := bars.add(shortDigest(b.Digest()), b.Size())
		wg.Go(func() {
			errs[i] = b.Fill(ctx, add)
			bars.done(b.Digest(), errs[i] == nil)
		})
	}
	wg.Wait()
	bars.wait()
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("%s: %w", blobs[i].Name(), err)
		}
	}
	s := client.StatsFor(configPath)
	fmt.Fprintf(out, "pulled %d layers, %d bytes in %s: %d bytes fetched in %d requests (%d retries), %d blocks were cached already\n",
		len(blobs), total, time.Since(start).Round(time.Millisecond), s.BytesFetched.Load(), s.Requests.Load(), s.Retries.Load(), s.CacheHits.Load())
	return nil
}

func shortDigest(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

// pullBars are one progress bar per layer on a terminal; elsewhere one line per finished
// layer.
type pullBars struct {
	w    io.Writer
	p    *mpb.Progress
	mu   sync.Mutex
	bars map[string]*mpb.Bar
}

func newPullBars(w io.Writer) *pullBars {
	return &pullBars{w: w, p: terminalProgress(w, 40), bars: map[string]*mpb.Bar{}}
}

func (pb *pullBars) add(name string, size int64) func(int64) {
	if pb.p == nil {
		return nil
	}
	bar := addByteBar(pb.p, name, size)
	pb.mu.Lock()
	pb.bars[name] = bar
	pb.mu.Unlock()
	return bar.IncrInt64
}

func (pb *pullBars) done(digest string, ok bool) {
	if pb.p == nil {
		state := "done"
		if !ok {
			state = "failed"
		}
		pb.mu.Lock()
		fmt.Fprintf(pb.w, "%s: %s\n", shortDigest(digest), state)
		pb.mu.Unlock()
		return
	}
	pb.mu.Lock()
	bar := pb.bars[shortDigest(digest)]
	pb.mu.Unlock()
	if !ok {
		bar.Abort(false)
	}
}

func (pb *pullBars) wait() {
	if pb.p != nil {
		pb.p.Wait()
	}
}
