// Package image is the ublk target that serves an overlaybd image (engine.Image) as a block
// device (`dadi serve --config`). Each queue has its own engine.Session, so its requests
// allocate nothing; today a queue serves its requests one at a time on its own thread, with
// plain preads and pwrites (and blob fetches) through the engine.
package image
