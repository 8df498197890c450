package redmux_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
)

// TestInvariant6PipelineIsContiguous: pipelines from many goroutines, each
// an INCR of its own counter framed by SET/GET of its own key, always read
// back their own values: nothing interleaves inside a pipeline.
func TestInvariant6PipelineIsContiguous(t *testing.T) {
	forEachBackend(t, redmux.Config{Managers: 2}, func(t *testing.T, ctx context.Context, c *redmux.Client) {
		const workers, rounds = 32, 50
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				key := fmt.Sprintf("pipe:%d", w)
				for i := range rounds {
					want := fmt.Sprintf("%d-%d", w, i)
					vals, err := c.Pipeline(ctx,
						[]any{"SET", key, want},
						[]any{"INCR", key + ":n"},
						[]any{"GET", key},
					)
					if err != nil {
						errs <- err
						return
					}
					n, _ := vals[1].Int64()
					got, _ := vals[2].Text()
					if len(vals) != 3 || n != int64(i+1) || got != want {
						errs <- fmt.Errorf("worker %d round %d: INCR %d, GET %q; want %d, %q", w, i, n, got, i+1, want)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func TestPipelineServerErrorFailsOnlyItsCommand(t *testing.T) {
	forEachBackend(t, redmux.Config{}, func(t *testing.T, ctx context.Context, c *redmux.Client) {
		vals, err := c.Pipeline(ctx, []any{"SET", "s", "x"}, []any{"INCR", "s"}, []any{"GET", "s"})
		require.NoError(t, err)
		require.Len(t, vals, 3)
		assert.NoError(t, vals[0].Err())
		var rerr *redmux.RedisError
		assert.ErrorAs(t, vals[1].Err(), &rerr)
		got, _ := vals[2].Text()
		assert.Equal(t, "x", got)

		_, err = c.Pipeline(ctx, []any{"GET", "s"}, []any{"BLPOP", "q", 0})
		assert.ErrorIs(t, err, redmux.ErrNeedsDedicated)
		_, err = c.Pipeline(ctx, []any{"GET", "s"}, []any{})
		assert.ErrorIs(t, err, redmux.ErrEmptyCommand)
		vals, err = c.Pipeline(ctx, []any{"PING"})
		require.NoError(t, err)
		require.Len(t, vals, 1)
	})
}
