package redmuxotel

// Version is the version of this instrumentation, reported as the
// instrumentation scope's version.
const Version = "0.1.0"
