package resp

// Resolved returns l with every zero field replaced by its default, and
// values too large for this platform clamped, as a Reader would use it.
func (l Limits) Resolved() Limits { return l.withDefaults() }
