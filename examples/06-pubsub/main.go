// Pub/sub: subscribe to a channel, publish three messages, receive them.
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

	sub, err := c.Subscribe(ctx, "news")
	if err != nil {
		return err
	}
	defer sub.Close()
	for i := range 3 {
		if _, err := c.Publish(ctx, "news", fmt.Sprintf("story %d", i+1)); err != nil {
			return err
		}
	}
	for range 3 {
		msg, err := sub.Receive(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s: %s\n", msg.Channel, msg.Payload)
	}
	return nil
}
