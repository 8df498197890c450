package redmux_test

import (
	"context"
	"fmt"
	"log"

	"github.com/redmux/redmux"
)

// A script's reply is a Value; load a script once and run it by its SHA1.
func ExampleClient_EvalSha() {
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	sha, err := c.ScriptLoad(ctx, "return redis.call('INCRBY', KEYS[1], ARGV[1])")
	if err != nil {
		log.Fatal(err)
	}
	v, err := c.EvalSha(ctx, sha, []string{"counter"}, 5)
	if err != nil {
		log.Fatal(err)
	}
	n, _ := v.Int64()
	exists, _ := c.ScriptExists(ctx, sha)
	fmt.Println(n, exists)

	_, err = c.Eval(ctx, "return redis.error_reply('ERR not today')", nil)
	fmt.Println(err)
	// Output:
	// 5 [true]
	// ERR not today
}
