package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDemoScript runs the presenter's demo (demo/demo.sh) end to end without pauses or an
// attached terminal: onboarding, the inspector, one payment to Settled and the inspector's view
// of it. The demo is part of the product's docs; this keeps it working.
func TestDemoScript(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "tmux", "oathtool", "curl"} {
		needTool(t, tool, "apt-get install "+tool)
	}
	bin := payterm(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(moduleRoot(t), "e2e", "demo", "demo.sh"))
	cmd.Env = append(os.Environ(), "DEMO_PACE=0", "DEMO_ATTACH=0", "PAYTERM="+bin, "TMPDIR="+t.TempDir(),
		fmt.Sprintf("DEMO_PATIENCE=%d", patience(time.Second)/time.Second))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo.sh: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "demo: done") {
		t.Fatalf("demo.sh did not finish:\n%s", out)
	}
}
