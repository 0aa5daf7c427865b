package lease

// deadline says that key may be due at at. Deadlines are never removed
// early: when one pops, the owner checks whether the key is really due
// (lazy deletion), so an extension just pushes a new deadline.
type deadline struct {
	at  int64
	key string
}

// deadlines is a binary min-heap of deadlines ordered by at.
type deadlines struct {
	items []deadline
}

func (h *deadlines) len() int { return len(h.items) }

// peek returns the earliest deadline; the heap must not be empty.
func (h *deadlines) peek() deadline { return h.items[0] }

func (h *deadlines) push(d deadline) {
	h.items = append(h.items, d)
	i := len(h.items) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h.items[p].at <= h.items[i].at {
			break
		}
		h.items[p], h.items[i] = h.items[i], h.items[p]
		i = p
	}
}

// pop removes and returns the earliest deadline; the heap must not be empty.
func (h *deadlines) pop() deadline {
	top := h.items[0]
	last := len(h.items) - 1
	h.items[0] = h.items[last]
	h.items[last] = deadline{}
	h.items = h.items[:last]
	i, n := 0, last
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.items[r].at < h.items[l].at {
			m = r
		}
		if h.items[i].at <= h.items[m].at {
			break
		}
		h.items[i], h.items[m] = h.items[m], h.items[i]
		i = m
	}
	if cap(h.items) > 1024 && len(h.items) < cap(h.items)/4 {
		h.items = append([]deadline(nil), h.items...)
	}
	return top
}
