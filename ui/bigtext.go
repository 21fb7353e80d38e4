package ui

import "strings"

// bigGlyphs is a three-row block font for the review screen's amount and currency, so the
// figures the user is about to authorise cannot be misread (RTS Art. 5(1)(a)).
var bigGlyphs = map[rune][3]string{
	'0': {"█▀█", "█ █", "▀▀▀"},
	'1': {"▀█ ", " █ ", "▀▀▀"},
	'2': {"▀▀█", "█▀▀", "▀▀▀"},
	'3': {"▀▀█", " ▀█", "▀▀▀"},
	'4': {"█ █", "▀▀█", "  ▀"},
	'5': {"█▀▀", "▀▀█", "▀▀▀"},
	'6': {"█▀▀", "█▀█", "▀▀▀"},
	'7': {"▀▀█", "  █", "  ▀"},
	'8': {"█▀█", "█▀█", "▀▀▀"},
	'9': {"█▀█", "▀▀█", "▀▀▀"},
	'.': {" ", " ", "▀"},
	',': {" ", " ", "▖"},
	'-': {"  ", "▀▀", "  "},
	' ': {" ", " ", " "},
	// The letters of every ISO 4217 code: the currency is as much a part of what is authorised
	// as the figures.
	'A': {"█▀█", "█▀█", "▀ ▀"},
	'B': {"█▀▄", "█▀▄", "▀▀ "},
	'C': {"█▀▀", "█  ", "▀▀▀"},
	'D': {"█▀▄", "█ █", "▀▀ "},
	'E': {"█▀▀", "█▀▀", "▀▀▀"},
	'F': {"█▀▀", "█▀▀", "▀  "},
	'G': {"█▀▀", "█ █", "▀▀▀"},
	'H': {"█ █", "█▀█", "▀ ▀"},
	'I': {"▀█▀", " █ ", "▀▀▀"},
	'J': {"  █", "█ █", "▀▀▀"},
	'K': {"█ █", "█▀▄", "▀ ▀"},
	'L': {"█  ", "█  ", "▀▀▀"},
	'M': {"█▄█", "█ █", "▀ ▀"},
	'N': {"█▀█", "█ █", "▀ ▀"},
	'O': {"▄▀▄", "█ █", " ▀ "},
	'P': {"█▀█", "█▀▀", "▀  "},
	'Q': {"█▀█", "█▄█", "  ▀"},
	'R': {"█▀█", "█▀▄", "▀ ▀"},
	'S': {"█▀▀", "▀▀█", "▀▀▀"},
	'T': {"▀█▀", " █ ", " ▀ "},
	'U': {"█ █", "█ █", "▀▀▀"},
	'V': {"█ █", "█ █", " ▀ "},
	'W': {"█ █", "█▄█", "▀ ▀"},
	'X': {"▀▄▀", "▄▀▄", "▀ ▀"},
	'Y': {"█ █", "▀█▀", " ▀ "},
	'Z': {"▀▀█", "▄▀ ", "▀▀▀"},
}

// bigText renders s in the block font; runes without a glyph appear as themselves on the
// middle row so nothing is silently dropped.
func bigText(s string) string {
	var rows [3]strings.Builder
	for _, r := range s {
		g, ok := bigGlyphs[r]
		if !ok {
			g = [3]string{" ", string(r), " "}
		}
		for i := range rows {
			rows[i].WriteString(g[i])
			rows[i].WriteByte(' ')
		}
	}
	return strings.TrimRight(rows[0].String(), " ") + "\n" +
		strings.TrimRight(rows[1].String(), " ") + "\n" +
		strings.TrimRight(rows[2].String(), " ")
}
