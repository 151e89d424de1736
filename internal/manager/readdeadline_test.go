package manager

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestReviewBodyReadIsBounded: a client that sends part of a review and
// stalls gets an answer once the read deadline passes, instead of holding
// the handler (and its connection) for as long as it likes.
func TestReviewBodyReadIsBounded(t *testing.T) {
	readErr := make(chan error, 1)
	srv := httptest.NewServer(boundRead(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		readErr <- err
		http.Error(w, "unreadable", http.StatusBadRequest)
	}), 200*time.Millisecond))
	defer srv.Close()
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /validate-ack HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"apiVersion\":")
	select {
	case err := <-readErr:
		if err == nil {
			t.Fatal("reading a truncated body succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the handler still waits for the rest of the body")
	}
}
