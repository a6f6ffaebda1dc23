//go:build go1.24

package main

import (
	"crypto/fips140"
	"crypto/tls"
)

func fipsEnabled() bool { return fips140.Enabled() }

// Since Go 1.22 ExportKeyingMaterial fails on TLS 1.2 without EMS (RFC 7627
// section 5.4 leaves such keying material unsafe); the suite runs this build
// with GODEBUG=tlsunsafeekm=0 so go.mod's old "go" line cannot relax it.
func emsOf(cs *tls.ConnectionState) string {
	if _, err := cs.ExportKeyingMaterial("EXPERIMENTAL tinyhook ems", nil, 16); err != nil {
		return "no"
	}
	return "yes"
}
