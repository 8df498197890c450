// Cache-aside: read the cache, and on a miss compute the value and store it
// with a TTL.
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

// loadProfile stands for the slow source of truth (a database query).
func loadProfile(id int) string { return fmt.Sprintf("profile of user %d", id) }

func run(ctx context.Context, addr string, w io.Writer) error {
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()

	for range 2 {
		val, found, err := c.Get(ctx, "user:42:profile")
		if err != nil {
			return err
		}
		if !found {
			val = []byte(loadProfile(42))
			if _, err := c.SetWith(ctx, "user:42:profile", val, redmux.SetOptions{TTL: time.Minute}); err != nil {
				return err
			}
		}
		fmt.Fprintf(w, "cached=%v %s\n", found, val)
	}
	return nil
}
