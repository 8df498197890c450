package redmux_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
)

// incrementWatched adds 1 to key with WATCH/GET/MULTI/SET/EXEC, retrying on
// ErrTxAborted; it returns how many attempts it took.
func incrementWatched(ctx context.Context, c *redmux.Client, key string) (int, error) {
	for attempt := 1; ; attempt++ {
		err := c.Watch(ctx, func(tx *redmux.Tx) error {
			v, _, err := tx.Get(ctx, key)
			if err != nil {
				return err
			}
			n, _ := strconv.Atoi(string(v))
			_, err = tx.Exec(ctx, []any{"SET", key, n + 1})
			return err
		}, key)
		if !errors.Is(err, redmux.ErrTxAborted) {
			return attempt, err
		}
	}
}

// TestWatchIncrementsAreExactUnderContention: 8 goroutines × 50 WATCH
// increments of one counter end at exactly 400, retrying on ErrTxAborted.
func TestWatchIncrementsAreExactUnderContention(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string) {
		key := prefix + "counter"
		var wg sync.WaitGroup
		var mu sync.Mutex
		attempts := 0
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 50 {
					n, err := incrementWatched(ctx, c, key)
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					attempts += n
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		v, _, err := c.Get(ctx, key)
		require.NoError(t, err)
		assert.Equal(t, "400", string(v))
		t.Logf("%d attempts for 400 increments", attempts)
	})
}

// TestWatchAbortsWhenAWatchedKeyChanges: a write from another connection
// between WATCH and EXEC aborts the transaction, deterministically, and
// nothing queued runs; Watch returns fn's error unchanged.
func TestWatchAbortsWhenAWatchedKeyChanges(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string) {
		key, other := prefix+"watched", prefix+"other"
		require.NoError(t, c.Set(ctx, key, []byte("1")))
		err := c.Watch(ctx, func(tx *redmux.Tx) error {
			if err := c.Set(ctx, key, []byte("changed")); err != nil { // another connection
				return err
			}
			_, err := tx.Exec(ctx, []any{"SET", other, "ran"})
			return err
		}, key)
		require.ErrorIs(t, err, redmux.ErrTxAborted)
		_, found, err := c.Get(ctx, other)
		require.NoError(t, err)
		assert.False(t, found, "a queued command ran in an aborted transaction")

		mine := errors.New("mine")
		assert.Same(t, mine, c.Watch(ctx, func(*redmux.Tx) error { return mine }, key))
	})
}

// TestExecErrorsFailOnlyTheirSlot: a command the server refuses while the
// transaction runs fails only its own Value; one refused when queued
// aborts the transaction with EXECABORT.
func TestExecErrorsFailOnlyTheirSlot(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string) {
		key := prefix + "text"
		require.NoError(t, c.Set(ctx, key, []byte("abc")))
		for name, run := range map[string]func(cmds ...[]any) ([]redmux.Value, error){
			"Multi": func(cmds ...[]any) ([]redmux.Value, error) { return c.Multi(ctx, cmds...) },
			"Tx.Exec": func(cmds ...[]any) ([]redmux.Value, error) {
				var vals []redmux.Value
				err := c.Watch(ctx, func(tx *redmux.Tx) error {
					var err error
					vals, err = tx.Exec(ctx, cmds...)
					return err
				}, key)
				return vals, err
			},
		} {
			vals, err := run([]any{"INCR", key}, []any{"GET", key})
			require.NoError(t, err, name)
			require.Len(t, vals, 2, name)
			var rerr *redmux.RedisError
			assert.ErrorAs(t, vals[0].Err(), &rerr, name)
			got, _ := vals[1].Text()
			assert.Equal(t, "abc", got, name)

			_, err = run([]any{"GET"}, []any{"GET", key}) // wrong number of arguments
			require.ErrorAs(t, err, &rerr, name)
			assert.Equal(t, "EXECABORT", rerr.Prefix, name)
		}
	})
}

// TestMultiIsNeverInterleaved: 20 concurrent callers each run a MULTI of
// several commands on the shared connections; every EXEC holds exactly its
// own replies.
func TestMultiIsNeverInterleaved(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string) {
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				key := fmt.Sprintf("%smulti:%d", prefix, i)
				for round := range 50 {
					want := fmt.Sprintf("%d-%d", i, round)
					vals, err := c.Multi(ctx, []any{"SET", key, want}, []any{"GET", key}, []any{"ECHO", want})
					if err != nil {
						errs <- err
						return
					}
					got1, _ := vals[1].Text()
					got2, _ := vals[2].Text()
					if len(vals) != 3 || got1 != want || got2 != want {
						errs <- fmt.Errorf("caller %d round %d: %v", i, round, vals)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		_, err := c.Multi(ctx, []any{"BLPOP", "q", 1})
		assert.ErrorIs(t, err, redmux.ErrNeedsDedicated, "a blocking command cannot join a shared MULTI")
	})
}

// TestScriptFallsBackToEvalAfterFlush: Run uses EVALSHA, and after SCRIPT
// FLUSH falls back to EVAL once; it runs on a Client, a DedicatedConn and a
// Tx alike, and a script error is a *RedisError.
func TestScriptFallsBackToEvalAfterFlush(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string) {
		add := redmux.NewScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
		key := prefix + "scripted"
		v, err := add.Run(ctx, c, []string{key}, 5)
		require.NoError(t, err)
		n, _ := v.Int64()
		assert.EqualValues(t, 5, n)
		_, err = c.Do(ctx, "SCRIPT", "FLUSH")
		require.NoError(t, err)
		v, err = add.Run(ctx, c, []string{key}, 2)
		require.NoError(t, err)
		n, _ = v.Int64()
		assert.EqualValues(t, 7, n)

		require.NoError(t, c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
			_, err := add.Run(ctx, conn, []string{key}, 1)
			return err
		}))
		require.NoError(t, c.Watch(ctx, func(tx *redmux.Tx) error {
			_, err := add.Run(ctx, tx, []string{key}, 1)
			return err
		}, key))

		require.NoError(t, add.Load(ctx, c))
		b := redmux.NewBatch()
		r := add.Queue(b, []string{key}, 1)
		require.NoError(t, c.RunBatch(ctx, b))
		n, _ = r.Val().Int64()
		assert.EqualValues(t, 10, n)

		_, err = redmux.NewScript("return redis.call('NOPE')").Run(ctx, c, nil)
		var rerr *redmux.RedisError
		assert.ErrorAs(t, err, &rerr)
	})
}
