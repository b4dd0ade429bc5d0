// Package units reads and writes byte sizes as the dadi command line and its config files
// spell them: a whole number with an optional binary suffix (K, M, G, T, P, each optionally
// followed by B or iB, in any case). Callers name the unit of a bare number, since overlaybd's
// tools differ there (overlaybd-create counts GiB, overlaybd-zfile's --bs counts KiB, qemu's
// -m counts MiB, everything else counts bytes), and the range they accept; a size that
// overflows 63 bits, is negative, malformed or outside that range is an error, never a
// wrapped value.
package units
