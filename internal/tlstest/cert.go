package tlstest

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"
)

// Cert is a certificate and its private key, issued by a CA.
type Cert struct {
	// TLS holds the leaf certificate and key (Leaf is set), for
	// tls.Config.Certificates.
	TLS tls.Certificate
	// CertPEM is the certificate, PEM encoded.
	CertPEM []byte
	// KeyPEM is the private key, PEM encoded as PKCS #8 ("PRIVATE KEY").
	KeyPEM []byte

	ca *CA
}

// Files are the paths of a certificate, its key and its issuing CA on disk.
type Files struct {
	Cert string // PEM certificate
	Key  string // PEM private key, mode 0600
	CA   string // PEM certificate of the issuing CA
}

// WriteFiles writes the certificate, its key and the issuing CA's
// certificate into a fresh tb.TempDir(), as redis-server's --tls-cert-file,
// --tls-key-file and --tls-ca-cert-file want them. It fails tb on error.
func (c *Cert) WriteFiles(tb testing.TB) Files {
	tb.Helper()
	dir := tb.TempDir()
	f := Files{
		Cert: filepath.Join(dir, "cert.pem"),
		Key:  filepath.Join(dir, "key.pem"),
		CA:   filepath.Join(dir, "ca.pem"),
	}
	for path, data := range map[string][]byte{f.Cert: c.CertPEM, f.Key: c.KeyPEM, f.CA: c.ca.PEM()} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			tb.Fatalf("tlstest: %v", err)
		}
	}
	return f
}
