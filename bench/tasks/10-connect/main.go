// Connection variants with go-redis: the twin of examples/10-connect.
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

	"github.com/redis/go-redis/v9"
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
	// NewClient does not dial: Ping makes the first connection, which
	// runs the handshake (HELLO with AUTH, SELECT, CLIENT SETNAME).
	opts, err := redis.ParseURL("redis://:secret@" + addr + "/2?client_name=reports")
	if err != nil {
		return err
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return err
	}
	fmt.Fprintln(w, "url: connected")

	// An ACL user and password.
	acl := redis.NewClient(&redis.Options{Addr: addr, Username: "app", Password: "app-secret"})
	defer acl.Close()
	if err := acl.Ping(ctx).Err(); err != nil {
		return err
	}
	fmt.Fprintln(w, "acl: connected")

	// TLS: the same Options with a *tls.Config; NewClient would dial with it.
	tlsOpts := &redis.Options{
		Addr:      "redis.example.com:6380",
		Password:  "secret",
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12, ServerName: "redis.example.com"},
	}
	fmt.Fprintln(w, "tls: configured for", tlsOpts.TLSConfig.ServerName)
	return nil
}
