package sandbox

import (
	"net"
	"sync"
	"sync/atomic"
)

// limitListener caps the connections one host holds open (Config.MaxConns). At the cap, Accept
// waits for a connection to close before it takes the next one from the kernel's queue, so a
// client past the cap waits (or gives up) instead of adding a goroutine and a TLS handshake.
// The server's read, write and idle timeouts bound how long any connection keeps its slot.
type limitListener struct {
	net.Listener
	slots   chan struct{}
	done    chan struct{}
	once    sync.Once
	blocked func()       // test hook: Accept found every slot taken
	open    atomic.Int64 // connections accepted and not yet closed
}

func newLimitListener(l net.Listener, max int, blocked func()) *limitListener {
	return &limitListener{Listener: l, slots: make(chan struct{}, max), done: make(chan struct{}), blocked: blocked}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	default:
		if l.blocked != nil {
			l.blocked()
		}
		select {
		case l.slots <- struct{}{}:
		case <-l.done:
			return nil, net.ErrClosed
		}
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	l.open.Add(1)
	return &limitConn{Conn: c, l: l}, nil
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitConn gives its slot back on the first Close.
type limitConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.open.Add(-1)
		<-c.l.slots
	})
	return err
}
