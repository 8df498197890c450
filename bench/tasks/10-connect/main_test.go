package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/redmux/redmux/internal/redistest"
)

func TestRun(t *testing.T) {
	srv := redistest.StartT(t, "--requirepass", "secret", "--user", "app", "on", ">app-secret", "~*", "+@all")
	var out bytes.Buffer
	if err := run(context.Background(), srv.Addr, &out); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "url: connected\nacl: connected\ntls: configured for redis.example.com\n"; got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}
