package pool

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLeaseEndsExactlyOnce: a lease ends by Return or by Discard, once;
// whatever comes after panics, saying what it was.
func TestLeaseEndsExactlyOnce(t *testing.T) {
	p := newPool(t, 1)
	ctx := context.Background()

	l, err := p.Dedicated(ctx)
	require.NoError(t, err)
	returned := l.Conn()
	l.Return()
	require.PanicsWithValue(t, "redmux/pool: Return of a Lease that has already ended", l.Return)
	require.PanicsWithValue(t, "redmux/pool: Discard of a Lease that has already ended", l.Discard)
	require.PanicsWithValue(t, "redmux/pool: Conn of a Lease that has ended", func() { l.Conn() })

	// Return kept the connection for reuse; Discard closes it.
	l, err = p.Dedicated(ctx)
	require.NoError(t, err)
	require.Same(t, returned, l.Conn(), "a returned connection was not reused")
	l.Discard()
	require.PanicsWithValue(t, "redmux/pool: Discard of a Lease that has already ended", l.Discard)
	require.PanicsWithValue(t, "redmux/pool: Return of a Lease that has already ended", l.Return)

	l, err = p.Dedicated(ctx)
	require.NoError(t, err)
	require.NotSame(t, returned, l.Conn(), "a discarded connection was lent again")
	l.Return()
}
