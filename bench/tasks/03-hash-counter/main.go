// Hash counter with go-redis: the twin of examples/03-hash-counter.
package main

import (
	"context"
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
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil { // fail at startup, as redmux.Connect does
		return err
	}

	for _, field := range []string{"views", "clicks", "views", "views", "shares"} {
		if err := rdb.HIncrBy(ctx, "page:home", field, 1).Err(); err != nil {
			return err
		}
	}
	counts, err := rdb.HGetAll(ctx, "page:home").Result()
	if err != nil {
		return err
	}
	fmt.Fprintln(w, counts)
	return nil
}
