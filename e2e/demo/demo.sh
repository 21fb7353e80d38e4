#!/usr/bin/env bash
# payterm demo: delegated SCA on the embedded sandbox bank in under three minutes, driven in tmux.
#
#   e2e/demo/demo.sh            build payterm, start the demo, attach your terminal (read-only)
#   PAYTERM=/path/to/payterm    use an already built binary
#   DEMO_PACE=2                 seconds between steps (0 = as fast as the app answers)
#   DEMO_ATTACH=0               do not attach (tests; or attach yourself with the printed command)
#
# Needs tmux, oathtool and curl. The narration appears in tmux's status line; DEMO.md beside this
# file is the presenter's text. Everything lives in a temp dir that is removed at the end: the
# demo never touches your own payterm data or keyring (secrets go to the encrypted file store).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
pace=${DEMO_PACE:-2}
attach=${DEMO_ATTACH:-1}
for tool in tmux oathtool curl; do
  command -v "$tool" >/dev/null || { echo "demo: $tool is not installed (apt-get install $tool)" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/payterm-demo.XXXXXX")
sock="$work/tmux.sock"
cleanup() {
  tmux -S "$sock" kill-server 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

bin=${PAYTERM:-}
if [ -z "$bin" ]; then
  echo "demo: building payterm…"
  (cd "$root" && go build -o "$work/payterm" .)
  bin="$work/payterm"
fi

# The bank approves consents by itself (auto_approve) and the "browser" is curl following the
# bank's redirect back to payterm's loopback listener: the demo needs no real browser.
mkdir -p "$work/home/bin"
cat >"$work/home/bin/xdg-open" <<'SHIM'
#!/bin/sh
exec curl -fsSL -o /dev/null "$1"
SHIM
chmod 700 "$work/home/bin/xdg-open"
cat >"$work/config.toml" <<TOML
data_dir = "$work/data"
[sandbox]
auto_approve = true
settle_after = "2s"
credit_after = "4s"
[security]
secret_store = "file"
TOML

tmux -f /dev/null -S "$sock" start-server \; set-option -g remain-on-exit on \; \
  set-option -g status-style "bg=blue,fg=white" \; set-option -g status-left-length 0 \; \
  set-option -g status-right-length 0 \; set-option -g message-style "bg=yellow,fg=black" \; \
  new-session -d -s demo -x 100 -y 31 -- env -i HOME="$work/home" PATH="$work/home/bin:/usr/local/bin:/usr/bin:/bin" \
  LANG=C.UTF-8 TERM=tmux-256color "$bin" --config "$work/config.toml" --data-dir "$work/data"

say() { # narration in the status line, held for the pace
  tmux -S "$sock" display-message -d $(( (pace > 0 ? pace : 1) * 1500 )) "$1"
  sleep "$pace"
}
keys() { tmux -S "$sock" send-keys -t demo "$@"; }
type_() { tmux -S "$sock" send-keys -t demo -l "$1"; }
screen() { tmux -S "$sock" capture-pane -p -t demo; }
wait_for() { # wait_for TEXT [SECONDS] (times DEMO_PATIENCE, for slow machines)
  local deadline=$(( $(date +%s) + ${2:-30} * ${DEMO_PATIENCE:-1} ))
  until screen | grep -qF -- "$1"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "demo: waited for '$1'; the screen was:" >&2; screen >&2; exit 1
    fi
    sleep 0.2
  done
}
last_step=0
next_code() { # sets CODE: a TOTP code for a step payterm has not accepted yet (a replay is refused)
  local now step
  now=$(date +%s); step=$(( now / 30 ))
  [ "$step" -gt "$last_step" ] || step=$(( last_step + 1 ))
  while [ "$step" -gt $(( $(date +%s) / 30 + 1 )) ]; do sleep 1; done
  last_step=$step
  CODE=$(oathtool --totp -b --now "@$(( step * 30 ))" "$secret")
}

if [ "$attach" = 1 ]; then
  echo "demo: attaching this terminal read-only; others can watch with: tmux -S $sock attach -r"
fi

drive() {
  pin=482915
  wait_for "Welcome to payterm"
  say "payterm: you approve ONE consent at your bank; after that payterm itself does the SCA for every payment"
  keys Enter; wait_for "Choose a PIN"
  say "1. Knowledge factor: a PIN (argon2id-hashed, wraps the device key)"
  type_ "$pin"; keys Enter; type_ "$pin"; keys Enter
  wait_for "Add payterm to your authenticator app"
  say "2. Possession factor: an authenticator app (TOTP); the demo reads the key and runs oathtool"
  secret=$(screen | sed -nE 's/^ *Key +([A-Z2-7 ]+)$/\1/p' | tr -d ' ')
  [ -n "$secret" ] || { echo "demo: no TOTP key on screen" >&2; exit 1; }
  next_code; type_ "$CODE"; keys Enter
  wait_for "Write down this recovery code"
  say "The recovery code unblocks payments after five wrong attempts"
  keys Enter; wait_for "Who will you pay?"
  say "3. The consent names its payees: here one, so the bank can check every creditor"
  keys Left; keys Tab; type_ "Noor Demo"; keys Tab; type_ "AE07 0331 2345 6789 0123 456"; keys Enter
  wait_for "1. Noor Demo"; sleep "$pace"; keys Enter
  wait_for "Your consent"
  say "4. What the user approves: payterm authenticates each payment on the bank's behalf (delegated SCA)"
  keys Enter; wait_for "Approve the consent at your bank"
  say "5. PAR with a signed request object, then the bank's page (auto-approved in this demo)"
  keys o
  wait_for "You are set up." 60
  say "The consent is Active: payterm received the code on its loopback listener and swapped it for tokens"
  keys Enter; wait_for "Recent payments"
  keys i; wait_for "Inspector"
  say "The inspector: every exchange with the bank, secrets redacted, and the bank's own verdicts"
  keys Up Up Up Up Up Up Up Down; sleep "$pace"; keys PageDown; sleep "$pace"
  keys i; wait_for "Recent payments"
  say "6. A payment: amount, review, then PIN + code here. No bank redirect."
  keys p; wait_for "Purpose"; keys Tab; type_ "120"; keys Enter
  wait_for "You are about to pay"; sleep "$pace"; keys Enter
  wait_for "Authorise"
  next_code; type_ "$pin"; keys Tab; type_ "$CODE"; keys Enter
  say "SCA → Risk block → PII signed+encrypted → signed request → saved before sending → sent"
  wait_for "Payment Settled" 60
  say "Settled. The device-key signature links this SCA to this amount and payee (dynamic linking)"
  keys Escape; wait_for "Recent payments"
  keys i; wait_for "Inspector"
  say "POST /payments in the inspector: the bank verified payterm's SCA evidence in the Risk block"
  keys Up Up Up Up Up Up Up Down Down Down Down Down; wait_for "201 Created"; sleep "$pace"
  keys PageDown; sleep "$pace"
  keys i; wait_for "Recent payments"
  say "That's delegated SCA: one consent at the bank, every payment authenticated here. Thanks!"
  keys q
  for _ in $(seq 1 50); do
    [ "$(tmux -S "$sock" list-panes -t demo -F '#{pane_dead}')" = 1 ] && break
    sleep 0.2
  done
  [ "$(tmux -S "$sock" list-panes -t demo -F '#{pane_dead}')" = 1 ] || { echo "demo: payterm did not quit" >&2; exit 1; }
}

if [ "$attach" = 1 ]; then
  # The driver ends the tmux server when it is done, which detaches the audience's view.
  ( drive; sleep "$pace"; tmux -S "$sock" kill-server ) &
  driver=$!
  tmux -S "$sock" attach -r -t demo || true
  wait "$driver"
else
  drive
fi
echo "demo: done"
