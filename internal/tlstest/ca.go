package tlstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"
)

// validity is how long issued certificates stay valid; NotBefore is set an
// hour in the past so clock skew never makes a fresh certificate invalid.
const validity = 24 * time.Hour

// CA is a throw-away certificate authority, created in memory for one test.
type CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
	pool *x509.CertPool
}

// NewCA creates a self-signed ECDSA P-256 certificate authority. It fails
// tb on error.
func NewCA(tb testing.TB) *CA {
	tb.Helper()
	key := newKey(tb)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(tb),
		Subject:               pkix.Name{CommonName: "redmux tlstest CA", Organization: []string{"redmux tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(validity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatalf("tlstest: create CA certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("tlstest: parse CA certificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{cert: cert, key: key, pem: certPEM(der), pool: pool}
}

// Pool returns a certificate pool holding only this CA, for
// tls.Config.RootCAs (clients) or tls.Config.ClientCAs (servers).
func (ca *CA) Pool() *x509.CertPool { return ca.pool }

// PEM returns the CA certificate, PEM encoded.
func (ca *CA) PEM() []byte { return ca.pem }

// Certificate returns the parsed CA certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// IssueOptions says what kind of certificate CA.Issue makes.
type IssueOptions struct {
	// Client makes a client certificate (ExtKeyUsageClientAuth) for mutual
	// TLS; otherwise a server certificate (ExtKeyUsageServerAuth) is made.
	Client bool
	// CommonName is the subject's CN; a default names the kind. Go ignores
	// the CN when verifying host names, so it only labels the certificate.
	CommonName string
	// DNSNames are added to a server certificate's SANs, which always hold
	// 127.0.0.1, ::1 and localhost. They are added to a client certificate
	// as given.
	DNSNames []string
}

// Issue makes a certificate signed by ca with a fresh ECDSA P-256 key. It
// fails tb on error.
func (ca *CA) Issue(tb testing.TB, opts IssueOptions) *Cert {
	tb.Helper()
	key := newKey(tb)
	tmpl := &x509.Certificate{
		SerialNumber: serial(tb),
		Subject:      pkix.Name{CommonName: opts.CommonName, Organization: []string{"redmux tests"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		DNSNames:     append([]string(nil), opts.DNSNames...),
	}
	if opts.Client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		if tmpl.Subject.CommonName == "" {
			tmpl.Subject.CommonName = "redmux tlstest client"
		}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
		tmpl.DNSNames = append([]string{"localhost"}, tmpl.DNSNames...)
		if tmpl.Subject.CommonName == "" {
			tmpl.Subject.CommonName = "localhost"
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		tb.Fatalf("tlstest: issue certificate: %v", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("tlstest: parse issued certificate: %v", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatalf("tlstest: marshal key: %v", err)
	}
	return &Cert{
		TLS:     tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		CertPEM: certPEM(der),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		ca:      ca,
	}
}

func newKey(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatalf("tlstest: generate key: %v", err)
	}
	return key
}

func serial(tb testing.TB) *big.Int {
	tb.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		tb.Fatalf("tlstest: serial number: %v", err)
	}
	return n.Add(n, big.NewInt(1)) // serials must be positive
}

func certPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
