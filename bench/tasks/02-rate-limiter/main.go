// Fixed-window rate limiter with go-redis: the twin of
// examples/02-rate-limiter.
package main

import (
	"context"
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

func run(ctx context.Context, addr string, w io.Writer) error {
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil { // fail at startup, as redmux.Connect does
		return err
	}

	const limit = 5
	allow := func(user string) (bool, error) {
		key := "rate:" + user
		n, err := rdb.Incr(ctx, key).Result()
		if err != nil {
			return false, err
		}
		if n == 1 {
			if err := rdb.Expire(ctx, key, time.Minute).Err(); err != nil {
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
