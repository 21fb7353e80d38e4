package app

import (
	"testing"
	"time"
)

// TestStartWork: held work runs when released (a frame's grace after the first overview, or at
// once), is not wanted when only Close released it, and stays wanted when Close comes after.
func TestStartWork(t *testing.T) {
	released := func(s *startWork) bool {
		select {
		case <-s.ch:
			return true
		default:
			return false
		}
	}
	var s startWork
	s.init(time.Hour) // only afterFrame, release or stop let it go here
	if released(&s) {
		t.Fatal("released at init")
	}
	s.afterFrame()
	select {
	case <-s.ch:
	case <-time.After(30 * time.Second):
		t.Fatal("not released after the first overview")
	}
	s.stop()
	if !s.wanted() {
		t.Fatal("work released by the frame is not wanted after Close")
	}

	var c startWork
	c.init(time.Hour) // only afterFrame, release or stop let it go here
	c.stop()
	if c.wanted() {
		t.Fatal("work only Close released is wanted")
	}
	c.release() // late callers change nothing
	if c.wanted() {
		t.Fatal("a release after Close made it wanted")
	}

	var n startWork
	n.init(time.Hour) // only afterFrame, release or stop let it go here
	n.release()
	n.afterFrame() // an overview after the release re-arms nothing harmful
	n.stop()
	if !n.wanted() {
		t.Fatal("work released by a need is not wanted after Close")
	}
}
