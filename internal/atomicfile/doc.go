// Package atomicfile writes a command's output so that no input is ever harmed: the output is
// built in a temporary file beside the destination and renamed over it only once it is
// complete and durable (file and directory fsynced), and an output that is the same file as
// one of the command's inputs (the same path, a symlink to it or a hard link of it) is refused
// before anything is created. A failed command leaves the destination as it was and removes
// only the temporary file it made.
package atomicfile
