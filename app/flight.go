package app

import "sync"

// flight records which box of the inspector's sequence is running right now, so the inspector
// lights a step only while something is in flight (a payment being made or resumed). After a
// restart nothing is, whatever the trace's last exchange was.
type flight struct {
	mu   sync.Mutex
	next int
	// runs maps a run (one payment submission, one background resume) to its sequence step.
	runs map[int]int
	// order lists the runs, oldest first; the newest one is the one shown.
	order []int
}

// start registers a run at step (an index into sequence) and returns its handle.
func (f *flight) start(step int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.runs == nil {
		f.runs = map[int]int{}
	}
	f.next++
	f.runs[f.next] = step
	f.order = append(f.order, f.next)
	return f.next
}

// move records that run h has reached step.
func (f *flight) move(h, step int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.runs[h]; ok {
		f.runs[h] = step
	}
}

// end forgets run h.
func (f *flight) end(h int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.runs, h)
	for i, o := range f.order {
		if o == h {
			f.order = append(f.order[:i], f.order[i+1:]...)
			break
		}
	}
}

// current is the step of the newest run, or -1 when nothing is in flight.
func (f *flight) current() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.order) == 0 {
		return -1
	}
	return f.runs[f.order[len(f.order)-1]]
}
