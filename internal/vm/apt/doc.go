// Package apt is what vmrun needs of Debian's apt: reading the machine's sources (one-line
// and deb822) to pick a mirror, a private apt configuration that downloads a package from
// another release without touching the machine's apt state, and running the machine's
// apt-get to install host tools.
package apt
