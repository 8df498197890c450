package redmux_test

import (
	"context"
	"fmt"
	"log"

	"github.com/redmux/redmux"
)

// Type names a key's value, "none" for a missing key; RenameNX will not
// overwrite.
func ExampleClient_Type() {
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	c.Set(ctx, "a", []byte("1"))
	c.Set(ctx, "b", []byte("2"))
	typ, _ := c.Type(ctx, "a")
	none, _ := c.Type(ctx, "missing")
	moved, _ := c.RenameNX(ctx, "a", "b")
	err = c.Rename(ctx, "a", "c")
	n, _ := c.Unlink(ctx, "b", "c", "missing")
	fmt.Println(typ, none, moved, err, n)
	// Output:
	// string none false <nil> 2
}
