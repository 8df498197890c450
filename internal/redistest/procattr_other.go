//go:build !linux

package redistest

import "os/exec"

// dieWithParent has no portable equivalent outside Linux; Stop still kills
// the server when the test ends normally.
func dieWithParent(*exec.Cmd) {}
