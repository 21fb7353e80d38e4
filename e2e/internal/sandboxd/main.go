// Command sandboxd is a test-only standalone sandbox bank for the e2e foreign-client check, used
// until `payterm sandbox` exists: it starts sandbox.New+Start in its own process and prints one
// JSON line with the bank's URLs on stdout, then serves until SIGINT/SIGTERM.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/payterm/payterm/sandbox"
)

func main() {
	dataDir := flag.String("data-dir", "", "sandbox data dir (required)")
	autoApprove := flag.Bool("auto-approve", false, "approve consents without the page")
	adminToken := flag.String("admin-token", "", "enable the admin API with this bearer token")
	flag.Parse()
	if *dataDir == "" {
		fmt.Fprintln(os.Stderr, "sandboxd: --data-dir is required")
		os.Exit(2)
	}
	bank, err := sandbox.New(sandbox.Config{DataDir: *dataDir, AutoApprove: *autoApprove, AdminToken: *adminToken})
	if err != nil {
		fmt.Fprintf(os.Stderr, "sandboxd: %v\n", err)
		os.Exit(1)
	}
	if err := bank.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "sandboxd: %v\n", err)
		os.Exit(1)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	out, _ := json.Marshal(map[string]string{
		"issuer":            bank.Issuer(),
		"discovery_url":     bank.DiscoveryURL(),
		"resource_base_url": bank.ResourceBaseURL(),
		"registration_url":  bank.RegistrationURL(),
		"admin_url":         bank.AdminURL(),
		"ca_file":           filepath.Join(*dataDir, "ca.pem"),
	})
	fmt.Println(string(out))
	<-sig
	if err := bank.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "sandboxd: close: %v\n", err)
		os.Exit(1)
	}
}
