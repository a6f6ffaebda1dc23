//go:build !go1.24

package main

import "crypto/tls"

func fipsEnabled() bool { return false }

// Go before 1.21 never offers EMS, and before 1.22 cannot tell.
func emsOf(cs *tls.ConnectionState) string { return "unknown" }
