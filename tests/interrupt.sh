#!/bin/bash
# The terminal front ends interrupted mid-fetch: `tui --live` and the `ask --live`
# prompt, under tmux, reading through the real kubectl from a Kubernetes API stand-in
# (tests/fake-kube) that answers slowly. SIGTERM, SIGHUP and SIGINT each end meshmedic
# with no kubectl left running and the terminal restored (SIGINT at the ask prompt is
# Ctrl-C: it cancels the read and the question is asked; Ctrl-D then ends). Skips (77)
# without kubectl.
. "$TOP_SRCDIR/tests/lib.sh"

command -v kubectl >/dev/null || skip_all "no kubectl installed"
FAKE_KUBE=${FAKE_KUBE:-$TOP_BUILDDIR/tests/fake-kube}
[ -x "$FAKE_KUBE" ] || skip_all "tests/fake-kube is not built"
. "$TOP_SRCDIR/tests/tmux.sh"

FAULTS=$SCRATCH/faults
KC=$SCRATCH/kubeconfig
: >"$FAULTS"
"$FAKE_KUBE" -f "$FAULTS" "$TOP_SRCDIR/tests/data/snapshots/healthy" "$SCRATCH/port" >/dev/null 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true; tm kill-server >/dev/null 2>&1; rm -rf "$SCRATCH"' EXIT
i=0
while [ ! -s "$SCRATCH/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
cat >"$KC" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: http://127.0.0.1:$(cat "$SCRATCH/port")
users:
- name: jane
  user:
    token: fake-token
contexts:
- name: fake
  context:
    cluster: fake
    user: jane
current-context: fake
EOF

# kubectls: how many kubectl processes read through this test's kubeconfig
kubectls() {
	ps -eo args= | grep -F -- "--kubeconfig $KC" | grep -v grep | grep -c '^kubectl ' || true
}

# every answer takes 5 s: each command is caught mid-fetch
echo "slow 5000" >"$FAULTS"
for front in "tui 503 --live --set service=reviews" \
	"ask 503 --live -n default --set service=reviews --set pod=productpage-v1-6b746f74dc-9stvs"; do
	for sig in TERM HUP INT; do
		# shellcheck disable=SC2086
		start -- $front --kubeconfig "$KC" --timeout 30
		i=0
		while [ "$(kubectls)" = 0 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
		n="${front%% *} --live, SIG$sig mid-fetch"
		if [ "$(kubectls)" = 0 ]; then
			settle
			not_ok "$n: kubectl was running" "$SCRATCH/screen"
			continue
		fi
		sleep 0.3
		signal "$sig"
		if [ "${front%% *}/$sig" = ask/INT ]; then
			shows "$n: the read is cancelled, the question asked" "Cancelled: the question is yours."
			keys C-d
		fi
		settle "modes="
		if grep -q '^exit=' "$SCRATCH/screen" && grep -q '^modes=echo icanon isig' "$SCRATCH/screen"; then
			ok "$n: meshmedic ends, the terminal restored"
		else
			not_ok "$n: meshmedic ends, the terminal restored" "$SCRATCH/screen"
		fi
		i=0
		while [ "$(kubectls)" != 0 ] && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
		if [ "$(kubectls)" = 0 ]; then ok "$n: no kubectl left running"; else
			ps -eo pid,args | grep -F -- "$KC" >"$SCRATCH/ps"
			not_ok "$n: no kubectl left running" "$SCRATCH/ps"
		fi
	done
done
: >"$FAULTS"
done_testing
