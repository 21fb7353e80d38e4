package tmuxterm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/payterm/payterm/internal/safetext"
)

// maxDumpLines bounds what QuitDump returns: enough for every goroutine of payterm, not a
// whole log.
const maxDumpLines = 1500

// QuitDump asks a program that is still running where it is: it sends SIGQUIT, which makes a
// Go program write every goroutine's stack to its terminal and exit, waits up to timeout for
// the exit, and returns what the program wrote from "SIGQUIT" on, as plain text. The terminal
// is usually in raw mode on the alternate screen then, where the dump scrolls away unread, so
// it is read from Options.OutputLog.
func (tm *Term) QuitDump(ctx context.Context, timeout time.Duration) (string, error) {
	if tm.log == "" {
		return "", errors.New("tmuxterm: no OutputLog to read a goroutine dump from")
	}
	pid, err := tm.PID()
	if err != nil {
		return "", err
	}
	if err := syscall.Kill(pid, syscall.SIGQUIT); err != nil {
		return "", fmt.Errorf("SIGQUIT the program: %w", err)
	}
	_, waitErr := tm.WaitExit(ctx, timeout)
	// pipe-pane's cat may still be writing the last of it: read until the log stops growing.
	var raw []byte
	for range 20 {
		next, err := os.ReadFile(tm.log)
		if err != nil {
			return "", err
		}
		if len(next) == len(raw) && bytes.Contains(next, []byte("SIGQUIT")) {
			break
		}
		raw = next
		time.Sleep(100 * time.Millisecond)
	}
	i := bytes.LastIndex(raw, []byte("SIGQUIT"))
	if i < 0 {
		return "", errors.Join(errors.New("the program wrote no goroutine dump after SIGQUIT"), waitErr)
	}
	lines := strings.Split(plainText(raw[i:]), "\n")
	if len(lines) > maxDumpLines {
		lines = append(lines[:maxDumpLines], fmt.Sprintf("… %d more lines", len(lines)-maxDumpLines))
	}
	return strings.Join(lines, "\n"), nil
}

// plainText is terminal output as lines of text: escape sequences dropped, CR LF and lone CR
// (raw mode moves the cursor with them) made newlines, and anything else unsafe marked by
// safetext, so nothing in it can act on the terminal that shows a test's log.
func plainText(raw []byte) string {
	s := ansi.Strip(string(raw))
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return safetext.Text(s)
}
