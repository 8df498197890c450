package redmux_test

import (
	"context"
	"fmt"
	"log"

	"github.com/redmux/redmux"
)

// Counting distinct visitors with a HyperLogLog.
func ExampleClient_PFCount() {
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	for _, visitor := range []string{"ann", "bob", "ann", "cy"} {
		if _, err := c.PFAdd(ctx, "visitors", visitor); err != nil {
			log.Fatal(err)
		}
	}
	n, err := c.PFCount(ctx, "visitors")
	fmt.Println(n, err)
	// Output:
	// 3 <nil>
}
