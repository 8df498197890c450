package resp_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/redmux/redmux/resp"
)

// String renders a reply for people; Text is the accessor for its text.
func ExampleValue_String() {
	r := resp.NewReader(strings.NewReader("*4\r\n$5\r\nhello\r\n:42\r\n$-1\r\n%1\r\n+score\r\n,1.5\r\n"))
	v, err := r.ReadValue()
	if err != nil {
		panic(err)
	}
	fmt.Println(v)
	fmt.Println(resp.SimpleError("ERR unknown command 'foo'"))

	elems, _ := v.Array()
	text, _ := elems[0].Text()
	fmt.Println(text)
	// Output:
	// ["hello", (integer) 42, (nil), {"score": (double) 1.5}]
	// (error) ERR unknown command 'foo'
	// hello
}

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
