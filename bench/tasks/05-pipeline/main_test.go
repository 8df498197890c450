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
	if out.Len() == 0 {
		t.Error("no output")
	}
}
