package redmux_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redmux/redmux"
)

var sicily = []redmux.GeoLocation{
	{Member: "Palermo", Longitude: 13.361389, Latitude: 38.115556},
	{Member: "Catania", Longitude: 15.087269, Latitude: 37.502669},
}

// TestGeoCommands: GEOADD, GEODIST and GEOSEARCH on a Client, in a Batch
// and on a DedicatedConn, both protocols.
func TestGeoCommands(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, ctx context.Context, c *redmux.Client, prefix string) {
		k := prefix + "geo"
		var rerr *redmux.RedisError
		n, err := c.GeoAdd(ctx, k, sicily...)
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
		n, err = c.GeoAdd(ctx, k, sicily[0])
		require.NoError(t, err)
		assert.Zero(t, n, "not new")

		d, found, err := c.GeoDist(ctx, k, "Palermo", "Catania", "km")
		require.NoError(t, err)
		assert.True(t, found)
		assert.InDelta(t, 166.2742, d, 0.001)
		d, found, err = c.GeoDist(ctx, k, "Palermo", "Catania", "")
		require.NoError(t, err)
		assert.True(t, found)
		assert.InDelta(t, 166274.1516, d, 0.01, "meters by default")
		_, found, err = c.GeoDist(ctx, k, "Palermo", "Nowhere", "km")
		require.NoError(t, err)
		assert.False(t, found)
		_, found, err = c.GeoDist(ctx, prefix+"missing", "a", "b", "")
		require.NoError(t, err)
		assert.False(t, found)

		members, err := c.GeoSearch(ctx, k, redmux.GeoSearchQuery{FromLonLat: &[2]float64{15, 37}, Radius: 200, Unit: "km", Asc: true})
		require.NoError(t, err)
		assert.Equal(t, []string{"Catania", "Palermo"}, members)
		members, err = c.GeoSearch(ctx, k, redmux.GeoSearchQuery{FromLonLat: &[2]float64{15, 37}, Radius: 200, Unit: "km", Desc: true, Count: 1})
		require.NoError(t, err)
		assert.Equal(t, []string{"Palermo"}, members)
		members, err = c.GeoSearch(ctx, k, redmux.GeoSearchQuery{FromMember: "Palermo", BoxWidth: 400, BoxHeight: 400, Unit: "km", Asc: true})
		require.NoError(t, err)
		assert.Equal(t, []string{"Palermo", "Catania"}, members)
		members, err = c.GeoSearch(ctx, k, redmux.GeoSearchQuery{FromMember: "Palermo", Radius: 1000})
		require.NoError(t, err)
		assert.Equal(t, []string{"Palermo"}, members, "1000 m, the default unit")
		members, err = c.GeoSearch(ctx, prefix+"missing", redmux.GeoSearchQuery{FromLonLat: &[2]float64{15, 37}, Radius: 1})
		require.NoError(t, err)
		assert.Empty(t, members)

		_, err = c.GeoSearch(ctx, k, redmux.GeoSearchQuery{FromMember: "Nowhere", Radius: 1})
		assert.ErrorAs(t, err, &rerr, "an unknown FromMember")
		_, err = c.GeoSearch(ctx, k, redmux.GeoSearchQuery{Radius: 1})
		assert.ErrorIs(t, err, redmux.ErrGeoSearchOrigin)
		_, err = c.GeoSearch(ctx, k, redmux.GeoSearchQuery{FromMember: "Palermo", FromLonLat: &[2]float64{1, 2}, Radius: 1})
		assert.ErrorIs(t, err, redmux.ErrGeoSearchOrigin)
		_, err = c.GeoAdd(ctx, k, redmux.GeoLocation{Member: "bad", Longitude: 200, Latitude: 0})
		assert.ErrorAs(t, err, &rerr, "longitude out of range")
		require.NoError(t, c.Set(ctx, prefix+"str", []byte("v")))
		_, _, err = c.GeoDist(ctx, prefix+"str", "a", "b", "")
		assert.ErrorAs(t, err, &rerr)

		b := redmux.NewBatch()
		add := b.GeoAdd(prefix+"geo2", sicily...)
		dist := b.GeoDist(prefix+"geo2", "Palermo", "Catania", "km")
		missing := b.GeoDist(prefix+"geo2", "Palermo", "Nowhere", "km")
		search := b.GeoSearch(prefix+"geo2", redmux.GeoSearchQuery{FromMember: "Catania", Radius: 10, Unit: "km"})
		require.NoError(t, c.RunBatch(ctx, b))
		assert.EqualValues(t, 2, add.Val())
		d, found, err = dist.Result()
		require.NoError(t, err)
		assert.True(t, found)
		assert.InDelta(t, 166.2742, d, 0.001)
		_, found, err = missing.Result()
		assert.NoError(t, err)
		assert.False(t, found)
		assert.Equal(t, []string{"Catania"}, search.Val())

		bad := redmux.NewBatch()
		ping := bad.Ping()
		refused := bad.GeoSearch(k, redmux.GeoSearchQuery{Radius: 1})
		require.ErrorIs(t, c.RunBatch(ctx, bad), redmux.ErrGeoSearchOrigin, "a query without origin fails the batch before it is sent")
		assert.ErrorIs(t, refused.Err(), redmux.ErrGeoSearchOrigin)
		assert.ErrorIs(t, ping.Err(), redmux.ErrGeoSearchOrigin)

		require.NoError(t, c.Dedicated(ctx, func(conn *redmux.DedicatedConn) error {
			n, err := conn.GeoAdd(ctx, prefix+"geo3", sicily[1])
			require.NoError(t, err)
			assert.EqualValues(t, 1, n)
			d, found, err := conn.GeoDist(ctx, k, "Catania", "Palermo", "mi")
			require.NoError(t, err)
			assert.True(t, found)
			assert.InDelta(t, 103.3182, d, 0.001)
			members, err := conn.GeoSearch(ctx, prefix+"geo3", redmux.GeoSearchQuery{FromLonLat: &[2]float64{15.087269, 37.502669}, Radius: 1, Unit: "km"})
			require.NoError(t, err)
			assert.Equal(t, []string{"Catania"}, members)
			return nil
		}))
	})
}
