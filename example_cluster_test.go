package redmux_test

import (
	"context"
	"fmt"
	"log"

	"github.com/redmux/redmux"
)

// Connecting to a Redis Cluster through one of its nodes. Commands go to
// the node serving their key; keys that must meet in one command share a
// hash tag.
func ExampleNewCluster() {
	ctx := context.Background()
	c, err := redmux.NewCluster(ctx, redmux.ClusterConfig{
		Addrs: []string{"127.0.0.1:7000", "127.0.0.1:7001"}, // any nodes of the cluster
		Node:  redmux.Config{Managers: 2},                   // each node's connections
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	if err := c.Set(ctx, "{user:1}:name", []byte("Ada")); err != nil {
		log.Fatal(err)
	}
	if err := c.Set(ctx, "{user:1}:email", []byte("ada@example.com")); err != nil {
		log.Fatal(err)
	}
	v, err := c.Do(ctx, "MGET", "{user:1}:name", "{user:1}:email") // one slot: one node
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v.Strings())

	// A pipeline across slots is split by node and comes back in order.
	replies, err := c.Pipeline(ctx, []any{"INCR", "visits:home"}, []any{"INCR", "visits:about"})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range replies {
		fmt.Println(r.Int64())
	}

	for key, err := range c.Scan(ctx, "{user:1}:*", 100) { // every master
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(key)
	}
}
