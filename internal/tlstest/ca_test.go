package tlstest

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
)

func TestIssueServerCert(t *testing.T) {
	ca := NewCA(t)
	c := ca.Issue(t, IssueOptions{DNSNames: []string{"redis.test"}})
	for _, name := range []string{"127.0.0.1", "::1", "localhost", "redis.test"} {
		_, err := c.TLS.Leaf.Verify(x509.VerifyOptions{
			DNSName:   name,
			Roots:     ca.Pool(),
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err != nil {
			t.Errorf("verify server certificate for %q: %v", name, err)
		}
	}
	if _, err := c.TLS.Leaf.Verify(x509.VerifyOptions{DNSName: "other.test", Roots: ca.Pool()}); err == nil {
		t.Error("server certificate verified for a name it does not carry")
	}
	if _, err := c.TLS.Leaf.Verify(x509.VerifyOptions{Roots: NewCA(t).Pool()}); err == nil {
		t.Error("server certificate verified against another CA")
	}
}

func TestIssueClientCert(t *testing.T) {
	ca := NewCA(t)
	c := ca.Issue(t, IssueOptions{Client: true})
	_, err := c.TLS.Leaf.Verify(x509.VerifyOptions{
		Roots:     ca.Pool(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		t.Fatalf("verify client certificate: %v", err)
	}
	_, err = c.TLS.Leaf.Verify(x509.VerifyOptions{
		Roots:     ca.Pool(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err == nil {
		t.Fatal("client certificate verified for server auth")
	}
}

func TestWriteFiles(t *testing.T) {
	ca := NewCA(t)
	c := ca.Issue(t, IssueOptions{})
	f := c.WriteFiles(t)
	pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		t.Fatalf("load written key pair: %v", err)
	}
	if !pair.Leaf.Equal(c.TLS.Leaf) {
		t.Fatal("written certificate differs from the issued one")
	}
	caPEM, err := os.ReadFile(f.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) || !pool.Equal(ca.Pool()) {
		t.Fatal("written CA file does not hold the CA certificate")
	}
	if st, err := os.Stat(f.Key); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v, %v; want 0600", st.Mode().Perm(), err)
	}
}
