package manager

import (
	"time"
)

// The reader role: who reads a session's replies. Normally the reader
// goroutine does. When the FIFO empties it lets go of the role (the role is
// then unowned: nobody reads, nothing is outstanding), so that a caller
// alone on the manager can take it, write its request, read its own reply on
// its own goroutine and let go again: one goroutine hand-off fewer each way
// (netpoller → reader goroutine → caller becomes netpoller → caller). See
// docs/ARCHITECTURE.md, "Reading one's own reply".
//
// The rules, each a compare-and-swap on session.role:
//
//   - Only the holder of the role reads s.rd.
//   - The reader goroutine lets go (reader → unowned) only with no entry
//     being answered and the FIFO empty, and takes the role back when woken
//     by a push, after readerIdleCheck of idleness (so that a server closing
//     an idle connection, or a push frame, is noticed within that time), or
//     when the session dies.
//   - A caller takes the role (unowned → caller) only under writeMu, before
//     it pushes its request: it reads nothing but its own reply (and push
//     frames before it). It lets go (caller → unowned) once that reply is
//     in, or hands the role to the reader goroutine (caller → reader, and a
//     wake) when more entries are outstanding, when its context ended before
//     the reply began (the reader then reads and drops it: invariant 2), or
//     when the connection failed.
//   - Whoever pushes an entry while the role is unowned gives it to the
//     reader goroutine (unowned → reader, and a wake): a pushed entry always
//     has a reader. The reader goroutine, after letting go, looks at the FIFO
//     once more, so a push racing with it is never left unread.

// readRole says who reads a session's replies.
type readRole int32

const (
	// roleReader: the reader goroutine reads (or waits for bytes).
	roleReader readRole = iota
	// roleUnowned: nobody reads; nothing is outstanding.
	roleUnowned
	// roleCaller: a caller reads its own reply.
	roleCaller
)

// readerIdleCheck is how long the reader goroutine leaves the role unowned
// before it takes it back to watch the idle connection.
const readerIdleCheck = 5 * time.Millisecond

func (s *session) casRole(from, to readRole) bool {
	return s.role.CompareAndSwap(int32(from), int32(to))
}

// giveToReader hands an unowned role to the reader goroutine, waking it.
// Pushers call it after each push.
func (s *session) giveToReader() {
	if readRole(s.role.Load()) == roleUnowned && s.casRole(roleUnowned, roleReader) {
		s.wakeReader()
	}
}

// handBack gives the role a caller holds to the reader goroutine.
func (s *session) handBack() {
	if s.casRole(roleCaller, roleReader) {
		s.wakeReader()
	}
}

// letGo ends a caller's turn: the role becomes unowned, or goes to the
// reader goroutine if entries were pushed meanwhile.
func (s *session) letGo() {
	s.casRole(roleCaller, roleUnowned)
	if s.unanswered.Load() > 0 || s.killed() { // a dead session's reader must end now
		s.giveToReader()
	}
}

func (s *session) wakeReader() {
	select {
	case s.readerWake <- struct{}{}:
	default: // a wake is pending already
	}
}

// parkReader is the reader goroutine letting go of the role with nothing
// outstanding, and waiting until it holds it again. It returns at once if
// a push raced with it.
func (s *session) parkReader(idle *time.Timer, idleCheck time.Duration) {
	s.role.Store(int32(roleUnowned))
	if s.unanswered.Load() > 0 {
		s.giveToReader() // ours again, or a pusher gave it to us
	}
	dead := s.dead
	for readRole(s.role.Load()) != roleReader {
		idle.Reset(idleCheck)
		select {
		case <-s.readerWake:
		case <-idle.C:
			s.casRole(roleUnowned, roleReader) // fails while a caller reads
		case <-dead:
			dead = nil // a caller reading hands back on its own, once
			s.casRole(roleUnowned, roleReader)
		}
		idle.Stop()
	}
	select { // a stale wake from a raced hand-over
	case <-s.readerWake:
	default:
	}
}
