package redmux_test

import (
	"context"
	"errors"
	"log"

	"github.com/redmux/redmux"
)

// Connecting through Redis Sentinel: the sentinels name the master, and
// the client follows it from one failover to the next. (It has no output
// to check: it needs running sentinels.)
func ExampleNewFailover() {
	ctx := context.Background()
	c, err := redmux.NewFailover(ctx, redmux.FailoverConfig{
		MasterName:       "mymaster",
		SentinelAddrs:    []string{"sentinel-1:26379", "sentinel-2:26379", "sentinel-3:26379"},
		SentinelPassword: "sentinel-secret",                                   // the sentinels' own requirepass
		Node:             redmux.Config{Password: "data-secret", Managers: 2}, // the master's connections
	})
	if err != nil {
		log.Fatal(err) // no sentinel answered, or none knows "mymaster": the error says which
	}
	defer c.Close()

	// An ordinary Client: during a failover a write may fail with a
	// *ConnError; one that matches ErrMaybeExecuted may have run on the old
	// master. Once the sentinels name the new master, writes go there.
	err = c.Set(ctx, "greeting", []byte("hello"))
	if errors.Is(err, redmux.ErrMaybeExecuted) {
		log.Print("the master was lost after the write was sent: it may have run")
	} else if err != nil {
		log.Print(err)
	}
}
