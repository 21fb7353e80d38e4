package xs2a

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRunStandalone(t *testing.T) {
	dir := t.TempDir()
	prof := ProfileBOG()
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	started := make(chan *Bank, 1)
	done := make(chan error, 1)
	go func() {
		done <- RunStandalone(ctx, StandaloneOptions{Config: Config{Profile: &prof, DataDir: dir}, Out: &out, OnStart: func(b *Bank) { started <- b }})
	}()
	var b *Bank
	select {
	case b = <-started:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(20 * time.Second):
		t.Fatal("did not start")
	}
	tok, err := os.ReadFile(filepath.Join(dir, "admin-token"))
	if err != nil || len(tok) < 32 {
		t.Fatalf("admin token: %v", err)
	}
	if b.AdminURL() == "" || !strings.Contains(out.String(), b.BaseURL()) || !strings.Contains(out.String(), "OAuth metadata") || strings.Contains(out.String(), string(tok)) {
		t.Fatalf("banner: %s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "ca.pem")); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := RunStandalone(context.Background(), StandaloneOptions{}); err == nil {
		t.Fatal("no data dir accepted")
	}
}
