// Package job is the contract between vmrun's two sides: the Job the host writes into the
// guest's initramfs (command, environment, files to bring in, modules to load), the Report
// the guest sends back on its control port, the names of the virtio-serial ports that carry
// them, and vmrun's own exit statuses. Both sides import it; it imports neither.
package job
