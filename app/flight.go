package app

import "sync"

// flight records which box of the inspector's sequence is running right now, so the inspector
// lights a step only while something is in flight (a payment being made or resumed). After a
// restart nothing is, whatever the trace's last exchange was.
type flight struct {
	mu   sync.Mutex
	next int
	// runs maps a run (one payment submission, one background resume) to where it is.
	runs map[int]run
	// order lists the runs, oldest first; the newest one is the one shown.
	order []int
	// lastBank is the bank of the newest run that named one, still after it ended: the
	// inspector keeps showing that payment's sequence until another payment runs.
	lastBank string
}

// run is one run's sequence step and the bank it pays at ("" for a resume of every bank).
type run struct {
	step int
	bank string
}

// start registers a run at step (an index into sequence) and returns its handle.
func (f *flight) start(step int) int { return f.startAt(step, "") }

// startAt registers a run of one payment at bank.
func (f *flight) startAt(step int, bank string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.runs == nil {
		f.runs = map[int]run{}
	}
	f.next++
	f.runs[f.next] = run{step: step, bank: bank}
	f.order = append(f.order, f.next)
	if bank != "" {
		f.lastBank = bank
	}
	return f.next
}

// move records that run h has reached step.
func (f *flight) move(h, step int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.runs[h]; ok {
		r.step = step
		f.runs[h] = r
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
	return f.runs[f.order[len(f.order)-1]].step
}

// currentAt is the step of the newest run at bank (or at every bank), or -1: a payment
// running at another bank lights nothing in this bank's sequence.
func (f *flight) currentAt(bank string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.order) - 1; i >= 0; i-- {
		if r := f.runs[f.order[i]]; r.bank == "" || r.bank == bank {
			return r.step
		}
	}
	return -1
}

// watched is the bank of the newest payment run (running or ended), or "" before any.
func (f *flight) watched() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.order) - 1; i >= 0; i-- {
		if r := f.runs[f.order[i]]; r.bank != "" {
			return r.bank
		}
	}
	return f.lastBank
}
