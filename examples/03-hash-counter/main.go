// Hash counter: count events per field of one hash with HINCRBY, then read
// every count back with HGETALL.
package main

import (
	"context"
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
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()

	for _, field := range []string{"views", "clicks", "views", "views", "shares"} {
		if _, err := c.HIncrBy(ctx, "page:home", field, 1); err != nil {
			return err
		}
	}
	counts, err := c.HGetAll(ctx, "page:home")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s\n", counts) // %s prints the []byte counts as text
	return nil
}
