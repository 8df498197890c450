// WATCH transaction with retry, with go-redis: the twin of
// examples/04-watch-transfer.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"sync"

	"github.com/redis/go-redis/v9"
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
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil { // fail at startup, as redmux.Connect does
		return err
	}

	if err := rdb.MSet(ctx, "acct:a", 100, "acct:b", 0).Err(); err != nil {
		return err
	}
	transfer := func(from, to string, amount int64) error {
		for {
			err := rdb.Watch(ctx, func(tx *redis.Tx) error {
				balance, err := tx.Get(ctx, from).Int64()
				if err != nil {
					return err
				}
				if balance < amount {
					return errors.New("insufficient funds")
				}
				_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
					pipe.DecrBy(ctx, from, amount)
					pipe.IncrBy(ctx, to, amount)
					return nil
				})
				return err
			}, from, to)
			if !errors.Is(err, redis.TxFailedErr) {
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
	balances, err := rdb.MGet(ctx, "acct:a", "acct:b").Result()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "a=%s b=%s\n", balances[0], balances[1])
	return nil
}
