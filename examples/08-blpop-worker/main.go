// BLPOP worker: a producer pushes jobs on a list; a consumer pops them with
// BLPOP, and stops when none arrives within its timeout.
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

	if _, err := c.Do(ctx, "RPUSH", "jobs", "resize:1", "resize:2", "email:7"); err != nil {
		return err
	}
	for {
		v, err := c.Do(ctx, "BLPOP", "jobs", 1)
		if err != nil {
			return err
		}
		if v.IsNull() {
			break // no job for a second: the queue is drained
		}
		popped, err := v.Strings()
		if err != nil {
			return err
		}
		fmt.Fprintln(w, "processed", popped[1])
	}
	fmt.Fprintln(w, "queue drained")
	return nil
}
