package redmux_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/redmux/redmux"
	"github.com/redmux/redmux/internal/redistest"
)

// Stress parameters: at least 256 goroutines × 2,000 operations, as the
// race-detector stress run requires. Bounded in count, and in time by
// stressTimeout.
const (
	stressWorkers      = 256
	stressOpsPerWorker = 2000
	stressCancelShare  = 0.10 // share of operations whose context is cancelled at a random moment
	stressCloneEvery   = 250  // each worker swaps its handle for a fresh clone this often
	stressTimeout      = 5 * time.Minute
)

// TestStressNoCrossTalk drives a real redis-server from many goroutines
// through cloned handles, with random cancellations and handles cloned and
// closed during traffic. Every goroutine owns one key and writes values
// only it could have written; every GET must return one of the values the
// goroutine may have stored (a cancelled SET may or may not have been
// applied, and the check allows exactly that). At the end the last Close
// returns and no goroutine of the library remains.
func TestStressNoCrossTalk(t *testing.T) {
	srv := redistest.StartT(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), stressTimeout)
	defer cancel()

	root, err := redmux.New(ctx, redmux.Config{Addr: srv.Addr, Managers: 4})
	require.NoError(t, err)

	var stats stressStats
	var wg sync.WaitGroup
	failures := make(chan error, stressWorkers)
	for w := range stressWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := stressWorker(ctx, root.Clone(), w, &stats); err != nil {
				failures <- err
			}
		}()
	}
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Error(err)
	}
	require.NoError(t, root.Close())
	t.Logf("stress: %d gets checked, %d sets, %d cancelled, %d possibly-applied sets",
		stats.gets.Load(), stats.sets.Load(), stats.cancelled.Load(), stats.uncertain.Load())
	require.Greater(t, stats.gets.Load(), int64(stressWorkers*stressOpsPerWorker/4), "too few GETs were checked")
}

type stressStats struct {
	gets, sets, cancelled, uncertain atomic.Int64
}

// ownedKey tracks, for the one key a worker owns, every value the server
// may hold right now: the value of the last confirmed SET, plus the values
// of SETs whose context was cancelled. Such a SET may have been dropped
// unwritten, or written and applied at any later moment (even after a later
// confirmed SET that went through another connection). Once a GET has seen
// one land, the next confirmed SET overwrites it for good.
type ownedKey struct {
	name      string
	latest    []byte
	hasLatest bool
	inDoubt   []doubtfulValue
}

type doubtfulValue struct {
	value  []byte
	landed bool
}

func (k *ownedKey) confirmed(v []byte) {
	k.latest, k.hasLatest = v, true
	kept := k.inDoubt[:0]
	for _, d := range k.inDoubt {
		if !d.landed {
			kept = append(kept, d)
		}
	}
	k.inDoubt = kept
}

func (k *ownedKey) maybe(v []byte) { k.inDoubt = append(k.inDoubt, doubtfulValue{value: v}) }

func (k *ownedKey) check(got []byte, found bool) error {
	if !found {
		if !k.hasLatest {
			return nil
		}
		return fmt.Errorf("%s: GET found nothing after a confirmed SET", k.name)
	}
	if k.hasLatest && bytes.Equal(got, k.latest) {
		return nil
	}
	for i := range k.inDoubt {
		if bytes.Equal(got, k.inDoubt[i].value) {
			k.inDoubt[i].landed = true
			return nil
		}
	}
	return fmt.Errorf("%s: GET returned %.60q, which this goroutine never wrote or already overwrote", k.name, got)
}

func stressWorker(ctx context.Context, h *redmux.Client, w int, stats *stressStats) (err error) {
	defer func() { h.Close() }()
	rng := rand.New(rand.NewPCG(uint64(w), 42))
	key := &ownedKey{name: fmt.Sprintf("stress:%d", w)}
	for i := range stressOpsPerWorker {
		if i > 0 && i%stressCloneEvery == 0 {
			next := h.Clone()
			h.Close()
			h = next
		}
		opCtx, cancel := stressContext(ctx, rng)
		if rng.IntN(2) == 0 {
			err = stressSet(opCtx, h, key, w, i, rng, stats)
		} else {
			err = stressGet(opCtx, h, key, stats)
		}
		cancel()
		if err != nil {
			return fmt.Errorf("worker %d op %d: %w", w, i, err)
		}
	}
	return nil
}

// stressContext returns, for about 10% of operations, a context cancelled
// at a random moment: before the call, or after a random short time.
func stressContext(parent context.Context, rng *rand.Rand) (context.Context, context.CancelFunc) {
	if rng.Float64() >= stressCancelShare {
		return parent, func() {}
	}
	if rng.IntN(4) == 0 {
		ctx, cancel := context.WithCancel(parent)
		cancel()
		return ctx, cancel
	}
	return context.WithTimeout(parent, time.Duration(rng.IntN(300))*time.Microsecond)
}

func stressSet(ctx context.Context, h *redmux.Client, key *ownedKey, w, i int, rng *rand.Rand, stats *stressStats) error {
	value := []byte(fmt.Sprintf("%s|op%d|%x", key.name, i, rng.Uint64()))
	value = append(value, bytes.Repeat([]byte{byte('a' + w%26)}, rng.IntN(200))...)
	err := h.Set(ctx, key.name, value)
	switch {
	case err == nil:
		stats.sets.Add(1)
		key.confirmed(value)
	case isContextError(err):
		stats.cancelled.Add(1)
		stats.uncertain.Add(1)
		key.maybe(value)
	default:
		return fmt.Errorf("SET: %w", err)
	}
	return nil
}

func stressGet(ctx context.Context, h *redmux.Client, key *ownedKey, stats *stressStats) error {
	got, found, err := h.Get(ctx, key.name)
	switch {
	case err == nil:
		stats.gets.Add(1)
		return key.check(got, found)
	case isContextError(err):
		stats.cancelled.Add(1)
		return nil
	default:
		return fmt.Errorf("GET: %w", err)
	}
}

func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
