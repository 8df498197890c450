// Fixed-window rate limiter: INCR a per-user counter, and EXPIRE it on the
// first hit of the window.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"time"

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

	const limit = 5
	allow := func(user string) (bool, error) {
		key := "rate:" + user
		n, err := c.Incr(ctx, key)
		if err != nil {
			return false, err
		}
		if n == 1 {
			if _, err := c.Expire(ctx, key, time.Minute); err != nil {
				return false, err
			}
		}
		return n <= limit, nil
	}
	for i := range 7 {
		ok, err := allow("alice")
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "request %d allowed=%v\n", i+1, ok)
	}
	return nil
}
