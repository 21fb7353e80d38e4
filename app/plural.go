package app

import "fmt"

// count renders n with its noun in the right number: "1 attempt", "2 attempts", "0 attempts".
func count(n int, one, many string) string {
	if n == 1 || n == -1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
