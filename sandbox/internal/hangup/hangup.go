// Package hangup closes a client's connection without an answer: the embedded banks' "dropped
// answer" fault (the request was processed, the client never hears so).
package hangup

import (
	"net"
	"net/http"
)

// Drop takes the connection from the server and closes it at once (linger 0: a reset, as a
// peer that vanished would leave). Without a hijackable connection it aborts the handler, net/
// http's documented way to end a response unanswered.
func Drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			c.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}
