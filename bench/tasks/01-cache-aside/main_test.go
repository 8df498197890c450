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
	if got, want := out.String(), "cached=false profile of user 42\ncached=true profile of user 42\n"; got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}
