package tlstest

import (
	"bufio"
	"crypto/tls"
	"net"
	"testing"
	"time"
)

// ioTimeout bounds every dial, handshake and read in these tests.
const ioTimeout = 5 * time.Second

// pingTLS dials addr with cfg, sends PING and returns the reply line. A
// TLS 1.3 server rejects a client certificate only after the client's
// handshake has finished, so the error can come from the read.
func pingTLS(t *testing.T, addr string, cfg *tls.Config) (string, error) {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: ioTimeout}, "tcp", addr, cfg)
	if err != nil {
		return "", err
	}
	defer c.Close()
	return ping(c)
}

// ping sends a RESP PING on c and reads one reply line.
func ping(c net.Conn) (string, error) {
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return "", err
	}
	return bufio.NewReader(c).ReadString('\n')
}

// wantPong fails t unless PING over TLS to addr answers +PONG.
func wantPong(t *testing.T, addr string, cfg *tls.Config) {
	t.Helper()
	line, err := pingTLS(t, addr, cfg)
	if err != nil || line != "+PONG\r\n" {
		t.Fatalf("PING over TLS to %s: reply %q, error %v; want +PONG", addr, line, err)
	}
}
