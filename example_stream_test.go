package redmux_test

import (
	"context"
	"fmt"
	"log"

	"github.com/redmux/redmux"
)

// A stream with a consumer group: append, read as a group member, then
// acknowledge.
func ExampleClient_XReadGroup() {
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	if err := c.XGroupCreate(ctx, "events", "workers", "$", true); err != nil {
		log.Fatal(err)
	}
	for _, kind := range []string{"signup", "login"} {
		if _, err := c.XAdd(ctx, "events", redmux.XAddOptions{}, map[string][]byte{"kind": []byte(kind)}); err != nil {
			log.Fatal(err)
		}
	}
	streams, err := c.XReadGroup(ctx, "workers", "w1", redmux.XReadGroupOptions{
		XReadOptions: redmux.XReadOptions{Streams: []redmux.XStreamID{{Key: "events", ID: ">"}}},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range streams {
		for _, e := range s.Entries {
			fmt.Printf("%s: %s\n", s.Stream, e.Values["kind"])
			if _, err := c.XAck(ctx, "events", "workers", e.ID); err != nil {
				log.Fatal(err)
			}
		}
	}
	pending, err := c.XPending(ctx, "events", "workers")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("pending:", pending.Count)
	// Output:
	// events: signup
	// events: login
	// pending: 0
}
