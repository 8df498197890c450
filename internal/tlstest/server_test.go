package tlstest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestStartTLSPing(t *testing.T) {
	s := StartTLS(t, TLSOptions{DNSNames: []string{"redis.test"}})
	wantPong(t, s.TLSAddr, s.ClientConfig("", false)) // ServerName from the address: the IP SAN
	wantPong(t, s.TLSAddr, s.ClientConfig("localhost", false))
	wantPong(t, s.TLSAddr, s.ClientConfig("redis.test", false))
	wantPong(t, s.TLSAddr, s.ClientConfig("", true)) // a certificate nobody asked for is harmless

	c, err := net.DialTimeout("tcp", s.Addr, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if line, err := ping(c); err != nil || line != "+PONG\r\n" {
		t.Fatalf("plain PING to %s: %q, %v", s.Addr, line, err)
	}
}

func TestStartTLSRestart(t *testing.T) {
	s := StartTLS(t, TLSOptions{ClientAuth: ClientAuthYes})
	s.Kill()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	wantPong(t, s.TLSAddr, s.ClientConfig("", true))
}

// TestMutualTLS checks what a client sees when redis-server requires a
// client certificate; see the package documentation. It reads before
// writing: a client that writes first sometimes gets a connection reset on
// the write instead of the alert.
func TestMutualTLS(t *testing.T) {
	s := StartTLS(t, TLSOptions{ClientAuth: ClientAuthYes})
	wantPong(t, s.TLSAddr, s.ClientConfig("", true))

	err := readFirst(t, s.TLSAddr, s.ClientConfig("", false))
	wantAlert(t, "no client certificate", err, "tls: certificate required")

	cfg := s.ClientConfig("", false)
	cfg.MaxVersion = tls.VersionTLS12
	err = readFirst(t, s.TLSAddr, cfg)
	wantAlert(t, "no client certificate, TLS 1.2", err, "tls: handshake failure")

	cfg = s.ClientConfig("", false)
	cfg.Certificates = []tls.Certificate{NewCA(t).Issue(t, IssueOptions{Client: true}).TLS}
	err = readFirst(t, s.TLSAddr, cfg)
	wantAlert(t, "client certificate from another CA", err, "tls: unknown certificate authority")
}

// readFirst dials addr with cfg and reads without writing, returning the
// handshake's or the read's error.
func readFirst(t *testing.T, addr string, cfg *tls.Config) error {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: ioTimeout}, "tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	_, err = c.Read(make([]byte, 64))
	return err
}

func wantAlert(t *testing.T, what string, err error, alert string) {
	t.Helper()
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" || !strings.Contains(err.Error(), alert) {
		t.Fatalf("%s: error %v (%T); want a %q alert from the server", what, err, err, alert)
	}
	t.Logf("%s: %v", what, err)
}

func TestOptionalClientAuth(t *testing.T) {
	s := StartTLS(t, TLSOptions{ClientAuth: ClientAuthOptional})
	wantPong(t, s.TLSAddr, s.ClientConfig("", false))
	wantPong(t, s.TLSAddr, s.ClientConfig("", true))
}

func TestUntrustedServer(t *testing.T) {
	s := StartTLS(t, TLSOptions{})
	cfg := s.ClientConfig("", false)
	cfg.RootCAs = NewCA(t).Pool()
	_, err := pingTLS(t, s.TLSAddr, cfg)
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("client trusting another CA: error %v (%T); want x509.UnknownAuthorityError", err, err)
	}
	var verr *tls.CertificateVerificationError
	if !errors.As(err, &verr) {
		t.Fatalf("error %v is not a *tls.CertificateVerificationError", err)
	}
	t.Logf("client trusting another CA: %v", err)

	_, err = pingTLS(t, s.TLSAddr, s.ClientConfig("other.test", false))
	var host x509.HostnameError
	if !errors.As(err, &host) {
		t.Fatalf("wrong server name: error %v (%T); want x509.HostnameError", err, err)
	}
	t.Logf("wrong server name: %v", err)
}

// TestClearTextToTLSPort records what a client sees when it speaks plain
// RESP to the TLS port: see the package documentation.
func TestClearTextToTLSPort(t *testing.T) {
	s := StartTLS(t, TLSOptions{})
	for range 20 { // the outcome must not be a matter of timing
		got, err := clearTextPing(s.TLSAddr)
		if len(got) != 0 || !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("clear text to the TLS port: got %q, error %v; want no bytes and a connection reset", got, err)
		}
	}
	got, err := clearTextPing(s.TLSAddr)
	t.Logf("clear text to the TLS port: read %d bytes %q, then %v", len(got), got, err)
}

// TestTLSToPlainPort records what a TLS client sees on the plain port: the
// server answers nothing and the handshake waits for its deadline. See the
// package documentation.
func TestTLSToPlainPort(t *testing.T) {
	s := StartTLS(t, TLSOptions{})
	raw, err := net.DialTimeout("tcp", s.Addr, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(300 * time.Millisecond))
	err = tls.Client(raw, s.ClientConfig("localhost", false)).Handshake()
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("TLS handshake on the plain port: error %v (%T); want a timeout", err, err)
	}
	t.Logf("TLS handshake on the plain port: %v", err)
}

// clearTextPing sends a plain RESP PING to addr and reads until an error.
func clearTextPing(addr string) ([]byte, error) {
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return nil, err
	}
	got, err := io.ReadAll(c)
	if err == nil {
		err = io.EOF // ReadAll reports a clean close as no error
	}
	return got, err
}
