package locker

// Result reports a successful write.
type Result struct {
	W       int    // the quorum size of the view the write ran in
	Votes   int    // masters that granted the promise (or the single round)
	Commits int    // masters that acknowledged the commit
	Token   uint64 // the fencing token of the value now held
}

// Entry is a consistently read value and its fencing token.
type Entry struct {
	Value []byte
	Token uint64
}
