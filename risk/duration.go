package risk

import (
	"strconv"
	"strings"
	"time"
)

// isoDuration formats d (≥ 0) as an ISO 8601 duration in days, hours,
// minutes and whole seconds, e.g. P30DT2H5M, PT0S. Days are 24 h: the
// binding age is elapsed time, not calendar time.
func isoDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	secs := int64(d / time.Second)
	days, secs := secs/86400, secs%86400
	h, secs := secs/3600, secs%3600
	m, s := secs/60, secs%60
	var b strings.Builder
	b.WriteByte('P')
	if days > 0 {
		b.WriteString(strconv.FormatInt(days, 10) + "D")
	}
	if h > 0 || m > 0 || s > 0 || days == 0 {
		b.WriteByte('T')
		if h > 0 {
			b.WriteString(strconv.FormatInt(h, 10) + "H")
		}
		if m > 0 {
			b.WriteString(strconv.FormatInt(m, 10) + "M")
		}
		if s > 0 || (days == 0 && h == 0 && m == 0) {
			b.WriteString(strconv.FormatInt(s, 10) + "S")
		}
	}
	return b.String()
}
