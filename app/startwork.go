package app

import (
	"sync"
	"time"
)

// The start-up work that Home does not need — opening the secret store in the background
// (secrets.go), resuming payments and syncing the consents with the bank (the keeper) — is
// held until Home's first frame is out, so it does not compete with the frame for the CPU: on
// two cores the store's argon2id alone (four threads) slowed the frame by about 50 ms.
//
// "Out" is frameGrace after the first Overview (the screen draws within a renderer tick of
// reading it), or startWorkAtLatest after Open when no screen asks (a script, a test); anything
// that needs the work now (a secret, WaitStartup) releases it at once.
const (
	frameGrace        = 50 * time.Millisecond
	startWorkAtLatest = time.Second
)

type startWork struct {
	once    sync.Once
	ch      chan struct{}
	timer   *time.Timer
	mu      sync.Mutex
	frame   bool // the first Overview was served
	closing bool // released by stop: the app is closing
}

func (s *startWork) init(atLatest time.Duration) {
	s.ch = make(chan struct{})
	s.mu.Lock()
	s.timer = time.AfterFunc(atLatest, s.release)
	s.mu.Unlock()
}

// release lets the held work start (idempotent).
func (s *startWork) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.once.Do(func() { close(s.ch) })
}

// afterFrame is called when an Overview was served: the work starts frameGrace later.
func (s *startWork) afterFrame() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.frame || s.timer == nil {
		return
	}
	s.frame = true
	s.timer.Reset(frameGrace)
}

// stop releases the work at once (Close: what waits must not wait for a timer) and stops the
// timer; work that nothing released before is then not wanted (wanted).
func (s *startWork) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
	}
	select {
	case <-s.ch: // released before: what it started is still wanted
	default:
		s.closing = true
	}
	s.once.Do(func() { close(s.ch) })
}

// wanted blocks until the work may start and reports whether it is still wanted: false when
// the app closed before anything released it (a signal right after the first frame need not
// wait for a key derivation nobody asked for).
func (s *startWork) wanted() bool {
	<-s.ch
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.closing
}
