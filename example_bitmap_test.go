package redmux_test

import (
	"context"
	"fmt"
	"log"

	"github.com/redmux/redmux"
)

// A bitmap of the days a user was active.
func ExampleClient_SetBit() {
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	for _, day := range []int64{0, 3, 4} {
		if _, err := c.SetBit(ctx, "active:ann", day, 1); err != nil {
			log.Fatal(err)
		}
	}
	day3, _ := c.GetBit(ctx, "active:ann", 3)
	day1, _ := c.GetBit(ctx, "active:ann", 1)
	days, err := c.BitCount(ctx, "active:ann")
	fmt.Println(day3, day1, days, err)
	// Output:
	// 1 0 3 <nil>
}
