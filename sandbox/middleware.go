package sandbox

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

type ctxKey int

const (
	ctxInteractionID ctxKey = iota
	// ctxResponseFault holds the FaultKind (wrong_key, wrong_iss, wrong_aud) this request's
	// signed answer must carry; "" or absent for a correct one.
	ctxResponseFault
)

func interactionID(ctx context.Context) string {
	s, _ := ctx.Value(ctxInteractionID).(string)
	return s
}

// statusWriter remembers the status code for the verdict.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (deadlines, flush).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// discardWriter takes the handler's whole response so the drop-after-commit fault can run the
// handler (the payment is created) while the client receives nothing.
type discardWriter struct{ h http.Header }

func (w discardWriter) Header() http.Header       { return w.h }
func (discardWriter) WriteHeader(int)             {}
func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }

// wrap adds what every host does: echo x-fapi-interaction-id (rule 40), record a verdict, and,
// on the AS and resource server (target "as"/"rs"), apply injected faults.
func (b *Bank) wrap(host, target string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("x-fapi-interaction-id")
		if !isUUID(id) {
			id = b.newUUID() // never echo a malformed value back
		}
		w.Header().Set("x-fapi-interaction-id", id)
		rec := &verdictRec{v: Verdict{InteractionID: id, Time: b.now(), Host: host, Method: r.Method, Path: r.URL.Path}}
		ctx := context.WithValue(r.Context(), ctxInteractionID, id)
		ctx = context.WithValue(ctx, verdictKey{}, rec)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			rec.mu.Lock()
			rec.v.Status = sw.status
			v := rec.v
			rec.mu.Unlock()
			b.verdicts.publish(v)
		}()
		if target != "" {
			if f, ok := b.faults.take(target); ok {
				check(ctx, 0, "injected fault: "+string(f.Kind), nil)
				switch f.Kind {
				case FaultServerError:
					b.writeError(sw, r.WithContext(ctx), http.StatusInternalServerError, "GenericError", "injected server error", "")
					return
				case FaultRateLimit:
					sw.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
					sw.WriteHeader(http.StatusTooManyRequests)
					return
				case FaultSlow:
					// The delay must not run into the server's read and write timeouts: the
					// body is read and the answer written after it.
					rc := http.NewResponseController(w)
					_ = rc.SetReadDeadline(time.Now().Add(f.Delay + b.cfg.ReadTimeout))
					_ = rc.SetWriteDeadline(time.Now().Add(f.Delay + b.cfg.WriteTimeout))
					t := time.NewTimer(f.Delay)
					select {
					case <-t.C:
					case <-r.Context().Done():
						t.Stop()
						return
					}
				case FaultWrongKey, FaultWrongIss, FaultWrongAud:
					ctx = context.WithValue(ctx, ctxResponseFault, f.Kind)
				case FaultUnavailable:
					sw.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
					b.writeError(sw, r.WithContext(ctx), http.StatusServiceUnavailable, "GenericRecoverableError", "injected: service unavailable", "")
					return
				case FaultDropAfterCommit:
					h.ServeHTTP(discardWriter{h: http.Header{}}, r.WithContext(ctx))
					sw.status = -1 // the client never sees a status
					dropConnection(w)
					return
				}
			}
		}
		h.ServeHTTP(sw, r.WithContext(ctx))
	})
}

func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // net/http's documented way to abort a response
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(interface{ CloseWrite() error }); ok {
		_ = tc.CloseWrite()
	}
	conn.Close()
}
