package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/redmux/redmux/internal/redistest"
)

func TestRun(t *testing.T) {
	srv := redistest.StartT(t)
	var out bytes.Buffer
	if err := run(context.Background(), srv.Addr, &out); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "request 1 allowed=true\nrequest 2 allowed=true\nrequest 3 allowed=true\nrequest 4 allowed=true\nrequest 5 allowed=true\nrequest 6 allowed=false\nrequest 7 allowed=false\n"; got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}
