package redmux_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/redmux/redmux"
)

// exampleServer starts an in-process server so the examples run anywhere;
// real code passes the address of its Redis server instead.
func exampleServer() (addr string, stop func()) {
	srv, err := miniredis.Run()
	if err != nil {
		log.Fatal(err)
	}
	return srv.Addr(), srv.Close
}

// The quick start: connect, store, read back, tell a missing key apart.
func Example() {
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	if err := c.Set(ctx, "greeting", []byte("hello")); err != nil {
		log.Fatal(err)
	}
	val, ok, err := c.Get(ctx, "greeting")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s %v\n", val, ok)

	_, ok, err = c.Get(ctx, "missing")
	fmt.Println(ok, err)
	// Output:
	// hello true
	// false <nil>
}

// Each goroutine can share the handle, or hold its own clone; the managers
// shut down when the last handle is closed.
func ExampleClient_Clone() {
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	c, err := redmux.New(ctx, redmux.Config{Addr: addr, Managers: 2})
	if err != nil {
		log.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		h := c.Clone()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer h.Close()
			if _, err := h.Incr(ctx, "counter"); err != nil {
				log.Print(err)
			}
		}()
	}
	wg.Wait()
	n, _ := c.Incr(ctx, "counter")
	fmt.Println(n)
	c.Close()

	_, _, err = c.Get(ctx, "counter")
	fmt.Println(errors.Is(err, redmux.ErrClosed))
	// Output:
	// 5
	// true
}

// Do runs any command; server errors come back as *RedisError.
func ExampleClient_Do() {
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	if _, err := c.Do(ctx, "HSET", "user:1", "name", "Ada", "born", 1815); err != nil {
		log.Fatal(err)
	}
	v, err := c.Do(ctx, "HGET", "user:1", "born")
	if err != nil {
		log.Fatal(err)
	}
	born, _ := v.Int64()
	fmt.Println(born)

	_, err = c.Do(ctx, "INCR", "user:1")
	var rerr *redmux.RedisError
	if errors.As(err, &rerr) {
		fmt.Println(rerr.Prefix)
	}
	// Output:
	// 1815
	// WRONGTYPE
}

// A failed connect says where and why.
func ExampleConnect_error() {
	ctx := context.Background()
	_, err := redmux.New(ctx, redmux.Config{Addr: "127.0.0.1:1"})
	var cerr *redmux.ConnError
	if errors.As(err, &cerr) {
		fmt.Println(cerr.Op, cerr.Addr)
	}
	// Output:
	// dial 127.0.0.1:1
}

// Pipeline sends commands back to back as one unit; replies come back in
// order, and a server error fails only its own command.
func ExampleClient_Pipeline() {
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	vals, err := c.Pipeline(ctx,
		[]any{"SET", "visits", 41},
		[]any{"INCR", "visits"},
		[]any{"INCR", "no-such-command-here", "extra"},
	)
	if err != nil {
		log.Fatal(err)
	}
	n, _ := vals[1].Int64()
	fmt.Println(n, vals[2].Err() != nil)
	// Output:
	// 42 true
}

// A Batch sends typed commands as one pipeline; each reply is decoded to
// its Go type, and a server error fails only its own command.
func ExampleBatch() {
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	b := redmux.NewBatch()
	b.Set("page", []byte("home"))
	visits := b.Incr("visits:home")
	page := b.Get("page")
	wrong := b.Incr("page") // not an integer: the server refuses it
	if err := c.RunBatch(ctx, b); err != nil {
		log.Fatal(err) // the batch as a whole failed: connection, context, ...
	}

	n, err := visits.Result()
	fmt.Println(n, err)
	val, found, err := page.Result()
	fmt.Println(string(val), found, err)
	var rerr *redmux.RedisError
	fmt.Println(errors.As(wrong.Err(), &rerr))
	// Output:
	// 1 <nil>
	// home true <nil>
	// true
}

// The typed helpers run on a dedicated connection too, next to commands
// that need one, such as a WATCH/MULTI/EXEC transaction.
func ExampleClient_Dedicated() {
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	err = c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
		if _, err := conn.Do(ctx, "WATCH", "balance"); err != nil {
			return err
		}
		balance, _, err := conn.Get(ctx, "balance")
		if err != nil {
			return err
		}
		b := redmux.NewBatch()
		b.Do("MULTI")
		b.Set("balance", append(balance, '0'))
		exec := b.Do("EXEC")
		if err := conn.RunBatch(ctx, b); err != nil {
			return err
		}
		fmt.Println("committed:", !exec.Val().IsNull())
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	v, _, _ := c.Get(ctx, "balance")
	fmt.Println(string(v))
	// Output:
	// committed: true
	// 0
}

// A Subscription has a connection of its own. Subscribe returns once the
// server confirmed the channel, so a message published afterwards reaches
// it; Receive waits for the next one, no longer than its context.
func ExampleClient_Subscribe() {
	addr, stop := exampleServer()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	sub, err := c.Subscribe(ctx, "news")
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()

	n, err := c.Publish(ctx, "news", "hello")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("receivers:", n)

	msg, err := sub.Receive(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %s\n", msg.Channel, msg.Payload)
	// Output:
	// receivers: 1
	// news: hello
}

// Watch runs an optimistic transaction; the loop retries it when another
// client changed a watched key in between (ErrTxAborted).
func ExampleClient_Watch() {
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	increment := func(tx *redmux.Tx) error {
		v, _, err := tx.Get(ctx, "counter")
		if err != nil {
			return err
		}
		n, _ := strconv.Atoi(string(v))
		_, err = tx.Exec(ctx, []any{"SET", "counter", n + 1})
		return err
	}
	for range 3 {
		for {
			err := c.Watch(ctx, increment, "counter")
			if !errors.Is(err, redmux.ErrTxAborted) {
				if err != nil {
					log.Fatal(err)
				}
				break
			}
		}
	}
	v, _, _ := c.Get(ctx, "counter")
	fmt.Println(string(v))
	// Output: 3
}

// A Script runs by its digest and sends its source only when the server
// does not have it.
func ExampleNewScript() {
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	setIfHigher := redmux.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1]) return 1 end
return 0`)
	for _, score := range []int{10, 5, 12} {
		v, err := setIfHigher.Run(ctx, c, []string{"best"}, score)
		if err != nil {
			log.Fatal(err)
		}
		n, _ := v.Int64()
		fmt.Println(score, n == 1)
	}
	// Output:
	// 10 true
	// 5 false
	// 12 true
}

// Scan walks the keyspace a page at a time; breaking out of the loop ends
// it.
func ExampleClient_Scan() {
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	for _, k := range []string{"user:1", "user:2", "order:1"} {
		if err := c.Set(ctx, k, []byte("x")); err != nil {
			log.Fatal(err)
		}
	}
	var users []string
	for key, err := range c.Scan(ctx, "user:*", 100) {
		if err != nil {
			log.Fatal(err)
		}
		users = append(users, key)
	}
	sort.Strings(users)
	fmt.Println(users)
	// Output: [user:1 user:2]
}
