// Pub/sub with go-redis: the twin of examples/06-pubsub.
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

	sub := rdb.Subscribe(ctx, "news")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil { // wait for the confirmation
		return err
	}
	for i := range 3 {
		if err := rdb.Publish(ctx, "news", fmt.Sprintf("story %d", i+1)).Err(); err != nil {
			return err
		}
	}
	for range 3 {
		msg, err := sub.ReceiveMessage(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s: %s\n", msg.Channel, msg.Payload)
	}
	return nil
}
