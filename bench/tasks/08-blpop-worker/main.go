// BLPOP worker with go-redis: the twin of examples/08-blpop-worker.
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

func run(ctx context.Context, addr string, w io.Writer) error {
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil { // fail at startup, as redmux.Connect does
		return err
	}

	if err := rdb.RPush(ctx, "jobs", "resize:1", "resize:2", "email:7").Err(); err != nil {
		return err
	}
	for {
		popped, err := rdb.BLPop(ctx, time.Second, "jobs").Result()
		if errors.Is(err, redis.Nil) {
			break // no job for a second: the queue is drained
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(w, "processed", popped[1])
	}
	fmt.Fprintln(w, "queue drained")
	return nil
}
