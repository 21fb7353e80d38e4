package ui

import "testing"

func TestScrollWindow(t *testing.T) {
	for _, c := range []struct{ n, pick, avail, per, first, rows int }{
		{3, 0, 10, 1, 0, 3},  // fits
		{3, 2, 6, 2, 0, 3},   // fits exactly, two lines a row
		{10, 0, 6, 1, 0, 4},  // cut: two lines for the notes
		{10, 9, 6, 1, 6, 4},  // cursor at the end: the last rows
		{10, 5, 6, 1, 3, 4},  // cursor near the middle
		{10, 5, 7, 2, 4, 2},  // two lines a row
		{10, 5, 1, 1, 5, 1},  // no room: still the cursor row
		{10, 0, -3, 2, 0, 1}, // negative room
	} {
		first, rows := scrollWindow(c.n, c.pick, c.avail, c.per)
		if first != c.first || rows != c.rows {
			t.Errorf("scrollWindow(%d, %d, %d, %d) = %d, %d; want %d, %d", c.n, c.pick, c.avail, c.per, first, rows, c.first, c.rows)
		}
		if c.pick < first || c.pick >= first+rows {
			t.Errorf("scrollWindow(%d, %d, %d, %d): the cursor row is not shown", c.n, c.pick, c.avail, c.per)
		}
	}
}
