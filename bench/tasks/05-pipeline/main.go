// Pipeline with go-redis: the twin of examples/05-pipeline.
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

	gets := make([]*redis.StringCmd, 100)
	cmds, err := rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i := range 100 {
			key := fmt.Sprintf("item:%d", i)
			pipe.Set(ctx, key, i, 0)
			gets[i] = pipe.Get(ctx, key)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, get := range gets {
		val, err := get.Int()
		if err != nil {
			return err
		}
		if val != i {
			return fmt.Errorf("item:%d = %d", i, val)
		}
	}
	fmt.Fprintf(w, "%d commands in one round trip, all values read back\n", len(cmds))
	return nil
}
