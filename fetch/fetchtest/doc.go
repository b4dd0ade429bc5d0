// Package fetchtest runs an OCI registry inside a test (go-containerregistry's in-process
// registry behind optional basic or token auth, redirects to a separate storage server, and
// request counting on the server side) and injects faults between a fetch.Client and it.
package fetchtest
