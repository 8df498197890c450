// Connection variants: a URL with a database and a client name, ACL
// credentials, and a TLS configuration (built and shown, not dialled).
//
// The server must have the default user's password "secret" and an ACL
// user "app" with password "app-secret", as the test starts it:
//
//	redis-server --requirepass secret --user app on ">app-secret" "~*" "+@all"
package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/redmux/redmux"
)

func main() {
	addr := os.Getenv("REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	if err := run(context.Background(), addr, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, addr string, w io.Writer) error {
	// A URL: the default user's password, database 2, a client name.
	// Connect dials and runs the handshake (HELLO with AUTH, SELECT,
	// CLIENT SETNAME), so a bad password or database fails here.
	c, err := redmux.Connect(ctx, "redis://:secret@"+addr+"/2?client_name=reports")
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Fprintln(w, "url: connected")

	// An ACL user and password.
	acl, err := redmux.New(ctx, redmux.Config{Addr: addr, Username: "app", Password: "app-secret"})
	if err != nil {
		return err
	}
	defer acl.Close()
	fmt.Fprintln(w, "acl: connected")

	// TLS: the same Config with a *tls.Config; New would dial with it.
	cfg := redmux.Config{
		Addr:      "redis.example.com:6380",
		Password:  "secret",
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12, ServerName: "redis.example.com"},
	}
	fmt.Fprintln(w, "tls: configured for", cfg.TLSConfig.ServerName)
	return nil
}
