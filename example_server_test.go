package redmux_test

import (
	"context"
	"fmt"
	"log"

	"github.com/redmux/redmux"
)

// DBSize counts the keys of the database FlushDB empties.
func ExampleClient_DBSize() {
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	c.MSet(ctx, map[string][]byte{"a": []byte("1"), "b": []byte("2")})
	before, _ := c.DBSize(ctx)
	if err := c.FlushDB(ctx, false); err != nil {
		log.Fatal(err)
	}
	after, _ := c.DBSize(ctx)
	fmt.Println(before, after)
	// Output:
	// 2 0
}
