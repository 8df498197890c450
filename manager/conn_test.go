package manager

import (
	"context"
	"net"
	"testing"

	"github.com/redmux/redmux/resp"
)

// Conn, the dedicated connection.

// TestRegressionLateDeadlineLeftOnPooledConn: when a dedicated call's
// context ended just as its I/O finished, the context's callback could set
// a past deadline after the call had cleared it, and the Conn went back to
// the pool looking healthy. Now the callback and the clearing are
// serialized: after stop, no deadline is left and the Conn reads fine.
func TestRegressionLateDeadlineLeftOnPooledConn(t *testing.T) {
	for range 200 {
		client, server := net.Pipe()
		c := &Conn{addr: "pipe", nc: client, rd: resp.NewReader(client)}
		ctx, cancel := context.WithCancel(context.Background())
		w := c.watch(ctx)
		cancel() // the callback may run before, during or after stop
		w.stop()
		if !c.Broken() {
			// Not broken: the connection must be usable, no deadline left.
			go func() { _, _ = server.Write([]byte("+OK\r\n")) }()
			if _, err := c.Receive(context.Background()); err != nil {
				t.Fatalf("a Conn not marked broken failed its next read: %v", err)
			}
		}
		_ = client.Close()
		_ = server.Close()
	}
}
