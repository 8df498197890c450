package main

import "github.com/redmux/redmux/internal/latency"

// histogram is the shared latency histogram; each worker keeps its own and
// they are merged when the run ends.
type histogram = latency.Histogram
