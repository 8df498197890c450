// WATCH transaction with retry: move money between two accounts atomically,
// from concurrent goroutines, retrying when a watched key changed.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"sync"

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

	if err := c.MSet(ctx, map[string][]byte{"acct:a": []byte("100"), "acct:b": []byte("0")}); err != nil {
		return err
	}
	transfer := func(from, to string, amount int64) error {
		for {
			err := c.Watch(ctx, func(tx *redmux.Tx) error {
				raw, _, err := tx.Get(ctx, from)
				if err != nil {
					return err
				}
				balance, err := strconv.ParseInt(string(raw), 10, 64)
				if err != nil {
					return err
				}
				if balance < amount {
					return errors.New("insufficient funds")
				}
				_, err = tx.Exec(ctx, []any{"DECRBY", from, amount}, []any{"INCRBY", to, amount})
				return err
			}, from, to)
			if !errors.Is(err, redmux.ErrTxAborted) {
				return err
			}
		}
	}

	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- transfer("acct:a", "acct:b", 10)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	balances, err := c.MGet(ctx, "acct:a", "acct:b")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "a=%s b=%s\n", balances[0], balances[1])
	return nil
}
