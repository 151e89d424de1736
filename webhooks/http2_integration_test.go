package webhooks_test

import (
	"crypto/tls"
	"net"
	"strconv"
	"testing"
)

// TestWebhookServerOffersHTTP1Only: with the default options a client
// asking for HTTP/2 first gets HTTP/1.1 (--enable-http2 is off).
func TestWebhookServerOffersHTTP1Only(t *testing.T) {
	suite.Start(t)
	opts := cluster.ManagerOptions()
	addr := net.JoinHostPort(opts.WebhookHost, strconv.Itoa(opts.WebhookPort))
	conn, err := tls.Dial("tcp", addr, &tls.Config{NextProtos: []string{"h2", "http/1.1"}, InsecureSkipVerify: true}) //nolint:gosec // the protocol is under test, not the certificate
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if p := conn.ConnectionState().NegotiatedProtocol; p != "http/1.1" {
		t.Fatalf("negotiated %q, want http/1.1", p)
	}
}
