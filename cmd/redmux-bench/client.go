package main

import (
	"context"
	"fmt"

	"github.com/redmux/redmux"
)

// client is what the demo uses of a redmux handle. *redmux.Client and
// *redmux.ClusterClient both satisfy it, so the preload, the workers and
// the progress loop are written once for one server and for a cluster.
type client interface {
	Get(ctx context.Context, key string) (value []byte, found bool, err error)
	Set(ctx context.Context, key string, value []byte) error
	Do(ctx context.Context, name string, args ...any) (redmux.Value, error)
	Stats() redmux.Stats
	Close() error
}

var (
	_ client = (*redmux.Client)(nil)
	_ client = (*redmux.ClusterClient)(nil)
)

// cloneClient returns a new handle on c's connections, as c.Clone() does.
// Clone is not part of client because each type's returns its own type.
func cloneClient(c client) client {
	switch c := c.(type) {
	case *redmux.Client:
		return c.Clone()
	case *redmux.ClusterClient:
		return c.Clone()
	}
	panic(fmt.Sprintf("redmux-bench: cannot clone a %T", c))
}
