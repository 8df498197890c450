package redmux

import (
	"context"
	"errors"

	"github.com/redmux/redmux/resp"
)

// Geo commands. Members are names, so strings; coordinates and distances
// are float64; a unit is "m", "km", "mi" or "ft" ("" means meters).

// GeoLocation is a member and its position.
type GeoLocation struct {
	Member    string
	Longitude float64
	Latitude  float64
}

// GeoAdd adds or moves the members of locs in the geo set at key and
// returns how many were new.
func (c *commands) GeoAdd(ctx context.Context, key string, locs ...GeoLocation) (int64, error) {
	return run(ctx, c.r, geoAddCmd(key, locs))
}

// GeoAdd queues GEOADD; see Client.GeoAdd.
func (b *Batch) GeoAdd(key string, locs ...GeoLocation) *Reply[int64] {
	return add(b, geoAddCmd(key, locs))
}

func geoAddCmd(key string, locs []GeoLocation) cmd[int64] {
	req := command("GEOADD", 1+3*len(locs))
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	for _, l := range locs {
		req.Cmd = resp.AppendBulkFloat(req.Cmd, l.Longitude)
		req.Cmd = resp.AppendBulkFloat(req.Cmd, l.Latitude)
		req.Cmd = resp.AppendBulkString(req.Cmd, l.Member)
	}
	return cmd[int64]{req, decodeInt}
}

// GeoDist returns the distance between members m1 and m2 of the geo set
// at key, in unit ("" for meters). found is false, with a nil error, when
// either member or the key is missing.
func (c *commands) GeoDist(ctx context.Context, key, m1, m2, unit string) (dist float64, found bool, err error) {
	return runMaybe(ctx, c.r, geoDistCmd(key, m1, m2, unit))
}

// GeoDist queues GEODIST; see Client.GeoDist.
func (b *Batch) GeoDist(key, m1, m2, unit string) *MaybeReply[float64] {
	return addMaybe(b, geoDistCmd(key, m1, m2, unit))
}

func geoDistCmd(key, m1, m2, unit string) maybeCmd[float64] {
	nargs := 3
	if unit != "" {
		nargs++
	}
	req := command("GEODIST", nargs)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	req.Cmd = resp.AppendBulkString(req.Cmd, m1)
	req.Cmd = resp.AppendBulkString(req.Cmd, m2)
	if unit != "" {
		req.Cmd = resp.AppendBulkString(req.Cmd, unit)
	}
	return maybeCmd[float64]{req, decodeGeoDist}
}

// decodeGeoDist reads a RESP3 double or a RESP2 bulk string; a null
// is absent.
func decodeGeoDist(v Value) (float64, bool, error) {
	if v.IsNull() {
		return 0, false, nil
	}
	f, err := v.Float64()
	return f, err == nil, err
}

// GeoSearchQuery is what GeoSearch looks for: around exactly one of
// FromMember or FromLonLat ({longitude, latitude}), within Radius or,
// when BoxWidth or BoxHeight is positive, within that box.
type GeoSearchQuery struct {
	FromMember string
	FromLonLat *[2]float64
	Radius     float64
	BoxWidth   float64
	BoxHeight  float64
	// Unit is that of Radius and the box: "m" (the default), "km", "mi"
	// or "ft".
	Unit string
	// Count, when positive, caps the number of members returned.
	Count int64
	// Asc or Desc sorts by distance, nearest or farthest first;
	// otherwise the order is unspecified.
	Asc, Desc bool
}

// ErrGeoSearchOrigin is the error of a GeoSearchQuery that sets both or
// neither of FromMember and FromLonLat.
var ErrGeoSearchOrigin = errors.New("redmux: GeoSearchQuery needs exactly one of FromMember and FromLonLat")

// GeoSearch returns the members of the geo set at key within the area of
// q. A missing key gives an empty result; a FromMember that is not in the
// set is the server's error.
func (c *commands) GeoSearch(ctx context.Context, key string, q GeoSearchQuery) ([]string, error) {
	cmd, err := geoSearchCmd(key, q)
	if err != nil {
		return nil, err
	}
	return run(ctx, c.r, cmd)
}

// GeoSearch queues GEOSEARCH; see Client.GeoSearch.
func (b *Batch) GeoSearch(key string, q GeoSearchQuery) *Reply[[]string] {
	c, err := geoSearchCmd(key, q)
	return addOrFail(b, c, err)
}

func geoSearchCmd(key string, q GeoSearchQuery) (cmd[[]string], error) {
	if (q.FromMember == "") == (q.FromLonLat == nil) {
		return cmd[[]string]{}, ErrGeoSearchOrigin
	}
	unit := q.Unit
	if unit == "" {
		unit = "m"
	}
	box := q.BoxWidth > 0 || q.BoxHeight > 0
	nargs := 1 + 3 // key, BYRADIUS radius unit
	if box {
		nargs++ // BYBOX width height unit
	}
	if q.FromLonLat != nil {
		nargs += 3
	} else {
		nargs += 2
	}
	if q.Count > 0 {
		nargs += 2
	}
	if q.Asc {
		nargs++
	}
	if q.Desc {
		nargs++
	}
	req := command("GEOSEARCH", nargs)
	req.Cmd = resp.AppendBulkString(req.Cmd, key)
	if q.FromLonLat != nil {
		req.Cmd = resp.AppendBulkString(req.Cmd, "FROMLONLAT")
		req.Cmd = resp.AppendBulkFloat(req.Cmd, q.FromLonLat[0])
		req.Cmd = resp.AppendBulkFloat(req.Cmd, q.FromLonLat[1])
	} else {
		req.Cmd = resp.AppendBulkString(req.Cmd, "FROMMEMBER")
		req.Cmd = resp.AppendBulkString(req.Cmd, q.FromMember)
	}
	if box {
		req.Cmd = resp.AppendBulkString(req.Cmd, "BYBOX")
		req.Cmd = resp.AppendBulkFloat(req.Cmd, q.BoxWidth)
		req.Cmd = resp.AppendBulkFloat(req.Cmd, q.BoxHeight)
	} else {
		req.Cmd = resp.AppendBulkString(req.Cmd, "BYRADIUS")
		req.Cmd = resp.AppendBulkFloat(req.Cmd, q.Radius)
	}
	req.Cmd = resp.AppendBulkString(req.Cmd, unit)
	if q.Count > 0 {
		req.Cmd = resp.AppendBulkString(req.Cmd, "COUNT")
		req.Cmd = resp.AppendBulkInt(req.Cmd, q.Count)
	}
	if q.Asc {
		req.Cmd = resp.AppendBulkString(req.Cmd, "ASC")
	}
	if q.Desc {
		req.Cmd = resp.AppendBulkString(req.Cmd, "DESC")
	}
	return cmd[[]string]{req, decodeGeoMembers}, nil
}

func decodeGeoMembers(v Value) ([]string, error) { return v.Strings() }
