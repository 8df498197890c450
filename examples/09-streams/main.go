// Streams: append events, read them as a member of a consumer group,
// acknowledge them, and check that nothing is left pending.
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

	for _, kind := range []string{"signup", "login", "logout"} {
		if _, err := c.XAdd(ctx, "events", redmux.XAddOptions{}, map[string][]byte{"kind": []byte(kind)}); err != nil {
			return err
		}
	}
	if err := c.XGroupCreate(ctx, "events", "workers", "0", true); err != nil {
		return err
	}
	streams, err := c.XReadGroup(ctx, "workers", "w1", redmux.XReadGroupOptions{
		XReadOptions: redmux.XReadOptions{Streams: []redmux.XStreamID{{Key: "events", ID: ">"}}, Count: 10},
	})
	if err != nil {
		return err
	}
	for _, entry := range streams[0].Entries {
		fmt.Fprintf(w, "%s: %s\n", streams[0].Stream, entry.Values["kind"])
		if _, err := c.XAck(ctx, "events", "workers", entry.ID); err != nil {
			return err
		}
	}
	pending, err := c.XPending(ctx, "events", "workers")
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "pending:", pending.Count)
	return nil
}
