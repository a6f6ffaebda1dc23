// emsclient: a Go HTTPS client shaped like the kube-apiserver's webhook
// client, for test/it/tls_ems.py. It POSTs one body N times, one connection
// each (so the second one can resume from the session cache), and prints one
// JSON line per request saying what the TLS layer negotiated. Built with
// Debian's golang-go (1.19, no Extended Master Secret) and with a Go >= 1.24
// run as GODEBUG=fips140=on, which refuses TLS 1.2 servers without EMS.
//
//	emsclient -ca ca.crt -url https://127.0.0.1:PORT/validate -body f.json -n 2
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"time"
)

type result struct {
	Go      string `json:"go"`
	FIPS    bool   `json:"fips"`
	Error   string `json:"error,omitempty"`
	Status  int    `json:"status,omitempty"`
	Body    string `json:"body,omitempty"`
	Version string `json:"version,omitempty"`
	ALPN    string `json:"alpn,omitempty"`
	Resumed bool   `json:"resumed"`
	// "yes" or "no" where the Go release reports it (1.22+: keying
	// material export refuses TLS 1.2 without EMS), else "unknown".
	EMS string `json:"ems,omitempty"`
}

func main() {
	ca := flag.String("ca", "", "CA bundle (PEM)")
	url := flag.String("url", "", "URL to POST to")
	body := flag.String("body", "", "file with the request body")
	n := flag.Int("n", 1, "requests, one connection each")
	flag.Parse()
	pem, err := os.ReadFile(*ca)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	payload, err := os.ReadFile(*body)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{
			RootCAs: pool,
			// The apiserver speaks HTTP/1.1 to webhooks.
			NextProtos:         []string{"http/1.1"},
			MaxVersion:         tls.VersionTLS12,
			ClientSessionCache: tls.NewLRUClientSessionCache(8),
		},
		DisableKeepAlives: true,
	}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	enc := json.NewEncoder(os.Stdout)
	for i := 0; i < *n; i++ {
		enc.Encode(post(client, *url, payload))
	}
}

func post(client *http.Client, url string, payload []byte) result {
	r := result{Go: runtime.Version(), FIPS: fipsEnabled()}
	req, err := http.NewRequest("POST", url, bytes.NewReader(payload))
	if err != nil {
		r.Error = err.Error()
		return r
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, */*")
	req.Header.Set("User-Agent", "kube-apiserver-admission")
	resp, err := client.Do(req)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r.Status = resp.StatusCode
	r.Body = string(b)
	if cs := resp.TLS; cs != nil {
		r.Version = map[uint16]string{tls.VersionTLS12: "TLS1.2",
			tls.VersionTLS13: "TLS1.3"}[cs.Version]
		r.ALPN = cs.NegotiatedProtocol
		r.Resumed = cs.DidResume
		r.EMS = emsOf(cs)
	}
	return r
}
