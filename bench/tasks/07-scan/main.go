// SCAN with go-redis: the twin of examples/07-scan.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"slices"

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

	for _, key := range []string{"user:1", "user:2", "user:3", "order:1", "order:2"} {
		if err := rdb.Set(ctx, key, "x", 0).Err(); err != nil {
			return err
		}
	}
	var keys []string
	iter := rdb.Scan(ctx, 0, "user:*", 100).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return err
	}
	slices.Sort(keys)
	fmt.Fprintln(w, keys)
	return nil
}
