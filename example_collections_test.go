package redmux_test

import (
	"context"
	"fmt"
	"log"
	"sort"
	"time"

	"github.com/redmux/redmux"
)

// Hash fields are strings, their values []byte.
func ExampleClient_HSet() {
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	if _, err := c.HSet(ctx, "user:1", map[string][]byte{"name": []byte("Ada"), "visits": []byte("1")}); err != nil {
		log.Fatal(err)
	}
	visits, err := c.HIncrBy(ctx, "user:1", "visits", 1)
	if err != nil {
		log.Fatal(err)
	}
	name, _, _ := c.HGet(ctx, "user:1", "name")
	fmt.Println(string(name), visits)
	// Output: Ada 2
}

// A queue with RPush and a blocking pop, which waits on a dedicated
// connection and never holds up other commands.
func ExampleClient_BLPop() {
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	if _, err := c.RPush(ctx, "jobs", []byte("resize"), []byte("upload")); err != nil {
		log.Fatal(err)
	}
	for {
		job, found, err := c.BLPop(ctx, 100*time.Millisecond, "jobs")
		if err != nil {
			log.Fatal(err)
		}
		if !found {
			break // nothing arrived within the timeout
		}
		fmt.Println(job.Key, string(job.Value))
	}
	// Output:
	// jobs resize
	// jobs upload
}

// Set members are strings.
func ExampleClient_SAdd() {
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	_, _ = c.SAdd(ctx, "tags:go", "fast", "simple", "typed")
	_, _ = c.SAdd(ctx, "tags:lua", "simple", "small")
	both, err := c.SInter(ctx, "tags:go", "tags:lua")
	if err != nil {
		log.Fatal(err)
	}
	sort.Strings(both)
	fmt.Println(both)
	// Output: [simple]
}

// A leaderboard: ZAdd with scores, the top entries with ZRangeWithScores.
func ExampleClient_ZRangeWithScores() {
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	_, err = c.ZAdd(ctx, "board", redmux.ZAddOptions{},
		redmux.Z{Member: "ada", Score: 31}, redmux.Z{Member: "bob", Score: 12}, redmux.Z{Member: "cy", Score: 27})
	if err != nil {
		log.Fatal(err)
	}
	top, err := c.ZRangeWithScores(ctx, "board", redmux.ZRangeArgs{Start: "0", Stop: "1", Rev: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, z := range top {
		fmt.Println(z.Member, z.Score)
	}
	// Output:
	// ada 31
	// cy 27
}
