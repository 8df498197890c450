// Cache-aside with go-redis: the twin of examples/01-cache-aside.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"time"

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

// loadProfile stands for the slow source of truth (a database query).
func loadProfile(id int) string { return fmt.Sprintf("profile of user %d", id) }

func run(ctx context.Context, addr string, w io.Writer) error {
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil { // fail at startup, as redmux.Connect does
		return err
	}

	for range 2 {
		val, err := rdb.Get(ctx, "user:42:profile").Result()
		found := err == nil
		if errors.Is(err, redis.Nil) {
			val = loadProfile(42)
			if err := rdb.Set(ctx, "user:42:profile", val, time.Minute).Err(); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		fmt.Fprintf(w, "cached=%v %s\n", found, val)
	}
	return nil
}
