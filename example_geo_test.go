package redmux_test

import (
	"context"
	"fmt"
	"log"

	"github.com/redmux/redmux"
)

// Places, the distance between two, and a search around a point.
func ExampleClient_GeoSearch() {
	addr, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	_, err = c.GeoAdd(ctx, "sicily",
		redmux.GeoLocation{Member: "Palermo", Longitude: 13.361389, Latitude: 38.115556},
		redmux.GeoLocation{Member: "Catania", Longitude: 15.087269, Latitude: 37.502669})
	if err != nil {
		log.Fatal(err)
	}
	km, found, err := c.GeoDist(ctx, "sicily", "Palermo", "Catania", "km")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%.0f km %v\n", km, found)

	near, err := c.GeoSearch(ctx, "sicily", redmux.GeoSearchQuery{
		FromLonLat: &[2]float64{15, 37}, Radius: 100, Unit: "km", Asc: true,
	})
	fmt.Println(near, err)
	// Output:
	// 166 km true
	// [Catania] <nil>
}
