package redmux_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/redmux/redmux/resp"
)

// answerHandshake plays a Redis server's part in the client's connection
// handshake for the fake servers of these tests: it answers every command
// up to and including the PING that ends the handshake (AUTH, SELECT and
// CLIENT with +OK, PING with +PONG).
func answerHandshake(rd *resp.Reader, w io.Writer) error {
	for {
		v, err := rd.ReadValue()
		if err != nil {
			return err
		}
		elems, err := v.Array()
		if err != nil || len(elems) == 0 {
			return fmt.Errorf("fake server: handshake command is a %v", v.Type())
		}
		name, _ := elems[0].Bytes()
		if strings.EqualFold(string(name), "PING") {
			_, err = io.WriteString(w, "+PONG\r\n")
			return err
		}
		if _, err := io.WriteString(w, "+OK\r\n"); err != nil {
			return err
		}
	}
}
