// SCAN: list every key matching a pattern, without blocking the server the
// way KEYS does.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"slices"

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
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()

	for _, key := range []string{"user:1", "user:2", "user:3", "order:1", "order:2"} {
		if err := c.Set(ctx, key, []byte("x")); err != nil {
			return err
		}
	}
	var keys []string
	for key, err := range c.Scan(ctx, "user:*", 100) {
		if err != nil {
			return err
		}
		keys = append(keys, key)
	}
	slices.Sort(keys)
	fmt.Fprintln(w, keys)
	return nil
}
