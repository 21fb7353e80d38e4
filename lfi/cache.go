package lfi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// defaultCacheTTL applies when the server sends no usable Cache-Control max-age.
	defaultCacheTTL = 5 * time.Minute
	// maxCacheTTL caps a server's max-age so a key rotation is noticed within a day at worst.
	maxCacheTTL = 24 * time.Hour
)

// cached holds one fetched document until its server-given lifetime ends.
type cached[T any] struct {
	mu      sync.Mutex
	val     T
	have    bool
	expires time.Time
}

// get returns the cached value while fresh, else calls fetch. force skips the cache.
// The lock is held during fetch so concurrent callers share one request.
func (c *cached[T]) get(ctx context.Context, now time.Time, force bool, fetch func(context.Context) (T, time.Duration, error)) (T, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.have && !force && now.Before(c.expires) {
		return c.val, false, nil
	}
	v, ttl, err := fetch(ctx)
	if err != nil {
		var zero T
		return zero, true, err
	}
	c.val, c.have, c.expires = v, true, now.Add(ttl)
	return v, true, nil
}

func (c *cached[T]) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.have = false
	var zero T
	c.val = zero
}

// cacheTTL reads Cache-Control: no-store/no-cache → 0, max-age=N → N s (capped), otherwise
// the default.
func cacheTTL(h http.Header) time.Duration {
	cc := h.Values("Cache-Control")
	ttl := defaultCacheTTL
	for _, line := range cc {
		for _, d := range strings.Split(line, ",") {
			d = strings.ToLower(strings.TrimSpace(d))
			switch {
			case d == "no-store" || d == "no-cache":
				return 0
			case strings.HasPrefix(d, "max-age="):
				n, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(d, "max-age="), `"`), 10, 64)
				if err != nil || n < 0 {
					continue
				}
				if n > int64(maxCacheTTL/time.Second) {
					ttl = maxCacheTTL
				} else {
					ttl = time.Duration(n) * time.Second
				}
			}
		}
	}
	return ttl
}
