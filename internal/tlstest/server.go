package tlstest

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redmux/redmux/internal/redistest"
)

// startTimeout bounds each attempt to start a server.
const startTimeout = 10 * time.Second

// ClientAuth is redis-server's tls-auth-clients setting: whether TLS
// clients must present a certificate signed by the CA.
type ClientAuth string

// The tls-auth-clients values. The zero ClientAuth means ClientAuthNo.
const (
	ClientAuthNo       ClientAuth = "no"       // no client certificate asked for: plain TLS
	ClientAuthYes      ClientAuth = "yes"      // mutual TLS: a client certificate is required
	ClientAuthOptional ClientAuth = "optional" // a client certificate is verified if presented
)

// TLSOptions configures StartTLS.
type TLSOptions struct {
	// ClientAuth sets --tls-auth-clients; empty means ClientAuthNo.
	ClientAuth ClientAuth
	// CA signs the server and client certificates; nil makes a new one.
	CA *CA
	// DNSNames are added to the server certificate's SANs, which always
	// hold 127.0.0.1, ::1 and localhost.
	DNSNames []string
	// ExtraArgs are passed on to redis-server (for example
	// "--requirepass", "secret").
	ExtraArgs []string
}

// Server is a redis-server that serves TLS on TLSAddr and plain RESP on
// Addr, both on 127.0.0.1. The plain port is always open: redistest's
// readiness probe pings it. The embedded redistest.Server controls the
// process (Stop, Kill, Restart, Pid); Restart keeps both ports and the
// certificates.
type Server struct {
	*redistest.Server

	// TLSAddr is the TLS listener, "127.0.0.1:port".
	TLSAddr string
	// TLSPort is the port of TLSAddr.
	TLSPort int
	// CA issued ServerCert and ClientCert.
	CA *CA
	// ServerCert is the certificate redis-server presents.
	ServerCert *Cert
	// ClientCert is a client certificate signed by CA, for mutual TLS.
	ClientCert *Cert
}

// StartTLS starts a redis-server with persistence off that listens for TLS
// on a free loopback port, besides its plain port, and stops it when the
// test ends. A missing redis-server fails the test with
// redistest.InstallHint: it never skips.
func StartTLS(tb testing.TB, opts TLSOptions) *Server {
	tb.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		tb.Fatal(redistest.InstallHint)
	}
	ca := opts.CA
	if ca == nil {
		ca = NewCA(tb)
	}
	auth := opts.ClientAuth
	if auth == "" {
		auth = ClientAuthNo
	}
	s := &Server{
		CA:         ca,
		ServerCert: ca.Issue(tb, IssueOptions{DNSNames: opts.DNSNames}),
		ClientCert: ca.Issue(tb, IssueOptions{Client: true}),
	}
	files := s.ServerCert.WriteFiles(tb)
	var lastErr error
	for range 5 { // the TLS port can be taken between probe and bind
		port, err := freePort()
		if err != nil {
			tb.Fatalf("tlstest: %v", err)
		}
		args := append([]string{
			"--tls-port", strconv.Itoa(port),
			"--tls-cert-file", files.Cert,
			"--tls-key-file", files.Key,
			"--tls-ca-cert-file", files.CA,
			"--tls-auth-clients", string(auth),
		}, opts.ExtraArgs...)
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		srv, err := redistest.Start(ctx, args...)
		cancel()
		if err != nil {
			lastErr = err
			continue
		}
		tb.Cleanup(srv.Stop)
		s.Server = srv
		s.TLSPort = port
		s.TLSAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		return s
	}
	tb.Fatalf("tlstest: %v", lastErr)
	return nil
}

// ClientConfig returns a TLS client configuration that trusts only the
// server's CA and, if withClientCert, presents ClientCert for mutual TLS.
// An empty serverName leaves ServerName empty, which tls.Dial fills in
// from the dialled host ("127.0.0.1" verifies against the IP SAN) but
// tls.Client rejects.
func (s *Server) ClientConfig(serverName string, withClientCert bool) *tls.Config {
	cfg := &tls.Config{
		RootCAs:    s.CA.Pool(),
		ServerName: serverName,
		MinVersion: tls.VersionTLS12,
	}
	if withClientCert {
		cfg.Certificates = []tls.Certificate{s.ClientCert.TLS}
	}
	return cfg
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("tlstest: listener address is not TCP")
	}
	return addr.Port, nil
}
