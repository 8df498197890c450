package resp_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/redmux/redmux/resp"
)

// StringMap reads HGETALL's answer whether the server speaks RESP2 (a flat
// array of fields and values) or RESP3 (a map).
func ExampleValue_StringMap() {
	for _, wire := range []string{
		"*4\r\n$4\r\nname\r\n$3\r\nAda\r\n$4\r\nborn\r\n$4\r\n1815\r\n", // RESP2
		"%2\r\n$4\r\nname\r\n$3\r\nAda\r\n$4\r\nborn\r\n:1815\r\n",      // RESP3
	} {
		v, err := resp.NewReader(strings.NewReader(wire)).ReadValue()
		if err != nil {
			panic(err)
		}
		m, err := v.StringMap()
		fmt.Println(m, err)
	}

	// A field count that is odd, or a field that is not a string, is a
	// *TypeError, as from every accessor.
	_, err := resp.ArrayOf(resp.BulkString([]byte("name"))).StringMap()
	var te *resp.TypeError
	fmt.Println(errors.As(err, &te), err)
	// Output:
	// map[born:1815 name:Ada] <nil>
	// map[born:1815 name:Ada] <nil>
	// true resp: StringMap: cannot convert array to map[string]string: odd number of elements (1) for keys and values
}
