package redmux

import (
	"errors"
	"fmt"

	"github.com/redmux/redmux/manager"
)

// checkMaster accepts a connection to a master: helloRole is the role
// HELLO 3 reported ("master" or "replica"), or empty on RESP2, where
// roleReply, the reply to ROLE, tells instead (its first element:
// "master", "slave" or "sentinel").
func checkMaster(helloRole string, roleReply Value) error {
	role := helloRole
	if role == "" {
		elems, err := roleReply.Array()
		if err != nil || len(elems) == 0 {
			return fmt.Errorf("ROLE: %w: got %v instead of an array", manager.ErrNotRESP, roleReply)
		}
		role, _ = elems[0].Text()
	}
	if role != "master" {
		return fmt.Errorf("%w: its role is %q", ErrNotMaster, role)
	}
	return nil
}

// errDemoted is why a manager of NewFailover's Client redials after a
// -READONLY reply.
var errDemoted = errors.New("the master answered -READONLY: it has become a replica; reconnecting to the master the sentinels name")

// redialOn is the managers' RedialOn: with requireMaster, a -READONLY reply
// means the connection reaches a master demoted to replica, and the manager
// redials (the sentinels name the new master). Otherwise nil.
func (c Config) redialOn() func(Value) error {
	if !c.requireMaster {
		return nil
	}
	return func(v Value) error {
		var rerr *RedisError
		if errors.As(v.Err(), &rerr) && rerr.Prefix == "READONLY" {
			return errDemoted
		}
		return nil
	}
}
