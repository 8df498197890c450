// BLPOP worker: a producer pushes jobs on a list; a consumer pops them with
// BLPOP, and stops when none arrives within its timeout.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"time"

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

	if _, err := c.RPush(ctx, "jobs", []byte("resize:1"), []byte("resize:2"), []byte("email:7")); err != nil {
		return err
	}
	for {
		job, found, err := c.BLPop(ctx, time.Second, "jobs")
		if err != nil {
			return err
		}
		if !found {
			break // no job for a second: the queue is drained
		}
		fmt.Fprintf(w, "processed %s\n", job.Value)
	}
	fmt.Fprintln(w, "queue drained")
	return nil
}
