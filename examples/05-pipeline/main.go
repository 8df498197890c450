// Pipeline: 100 SETs and 100 GETs in one round trip, with typed replies.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"

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

	b := redmux.NewBatch()
	gets := make([]*redmux.MaybeReply[[]byte], 100)
	for i := range 100 {
		key := fmt.Sprintf("item:%d", i)
		b.Set(key, []byte(strconv.Itoa(i)))
		gets[i] = b.Get(key)
	}
	if err := c.RunBatch(ctx, b); err != nil {
		return err
	}
	for i, get := range gets {
		val, _, err := get.Result()
		if err != nil {
			return err
		}
		if string(val) != strconv.Itoa(i) {
			return fmt.Errorf("item:%d = %q", i, val)
		}
	}
	fmt.Fprintf(w, "%d commands in one round trip, all values read back\n", b.Len())
	return nil
}
