package ui

import "fmt"

// count renders n with its noun in the right number: "1 payment", "3 payments", "0 payments".
// many is the plural form ("payments", "days", "attempts").
func count(n int, one, many string) string {
	if n == 1 || n == -1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
