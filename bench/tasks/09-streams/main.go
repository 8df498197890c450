// Streams with go-redis: the twin of examples/09-streams.
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

	for _, kind := range []string{"signup", "login", "logout"} {
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "events", Values: map[string]any{"kind": kind}}).Err(); err != nil {
			return err
		}
	}
	if err := rdb.XGroupCreateMkStream(ctx, "events", "workers", "0").Err(); err != nil {
		return err
	}
	streams, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: "workers", Consumer: "w1", Streams: []string{"events", ">"}, Count: 10,
	}).Result()
	if err != nil {
		return err
	}
	for _, msg := range streams[0].Messages {
		fmt.Fprintf(w, "%s: %s\n", streams[0].Stream, msg.Values["kind"])
		if err := rdb.XAck(ctx, "events", "workers", msg.ID).Err(); err != nil {
			return err
		}
	}
	pending, err := rdb.XPending(ctx, "events", "workers").Result()
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "pending:", pending.Count)
	return nil
}
