package redmux_test

import (
	"context"
	"fmt"
	"log"

	"github.com/redmux/redmux"
)

// String values are []byte; lengths are int64.
func ExampleClient_Append() {
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	c.Append(ctx, "log", []byte("Hello"))
	n, _ := c.Append(ctx, "log", []byte(" World"))
	part, _ := c.GetRange(ctx, "log", -5, -1)
	f, _ := c.IncrByFloat(ctx, "temperature", 21.5)
	v, found, _ := c.GetDel(ctx, "log")
	_, again, _ := c.GetDel(ctx, "log")
	fmt.Println(n, string(part), f)
	fmt.Println(string(v), found, again)
	// Output:
	// 11 World 21.5
	// Hello World true false
}
