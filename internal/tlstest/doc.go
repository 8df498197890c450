// Package tlstest is test support for the client's TLS, mutual TLS and
// unix socket tests against a real redis-server: an in-memory certificate
// authority (NewCA, CA.Issue), a redis-server serving TLS (StartTLS) and
// one listening on a unix socket (StartUnix). Both servers are started
// through redistest, so they keep a plain loopback port for its readiness
// probe.
//
// # Wrong-protocol behaviour
//
// Observed with redis-server 7.0.15 (Debian, OpenSSL 3) and Go's net and
// crypto/tls; TestClearTextToTLSPort and TestTLSToPlainPort check it.
//
// Clear text to the TLS port: a client that writes "*1\r\n$4\r\nPING\r\n"
// to TLSAddr sees the write succeed, then its read fail with no bytes at
// all: "read tcp ...: read: connection reset by peer", which satisfies
// errors.Is(err, syscall.ECONNRESET). The server sends no TLS alert and no
// RESP error. OpenSSL reads only the 5-byte record header ("*1\r\n$"),
// rejects it (the server logs "Error accepting a client connection:
// error:0A00010B:SSL routines::wrong version number") and closes the socket
// with the rest of the command unread, so the kernel sends a reset rather
// than a FIN. Writes after that fail with ECONNRESET, then EPIPE ("broken
// pipe"). Exactly 5 bytes or fewer would instead give a clean EOF with no
// bytes.
//
// TLS to the plain port: the handshake gets no answer and hangs until the
// client's deadline ("i/o timeout"). redis-server takes the ClientHello
// (first byte 0x16, not '*') for an inline command and looks for its
// newline with strchr, which stops at the NUL that every ClientHello has
// at byte 5, so it waits for more input; it would reply only after 64 KiB
// ("Protocol error: too big inline request"). A client needs a handshake
// deadline to report this.
//
// Mutual TLS: with TLS 1.3 the client's handshake completes before the
// server checks the client certificate, so the rejection arrives on the
// first read, as a *net.OpError with Op "remote error": "remote error:
// tls: certificate required" without a certificate, "remote error: tls:
// unknown certificate authority" with one from another CA. A client that
// writes first (PING) usually gets the same error from its read, but in
// about 1 in 12 tries its write already fails with "write: connection
// reset by peer" (ECONNRESET). With TLS 1.2 the handshake itself fails:
// "remote error: tls: handshake failure". A client that does not trust the
// server's CA fails the handshake with a *tls.CertificateVerificationError
// wrapping x509.UnknownAuthorityError ("tls: failed to verify certificate:
// x509: certificate signed by unknown authority"); a wrong server name
// gives x509.HostnameError.
package tlstest
