#!/bin/bash
# istioctl bug-report archives as --snapshot: every fixture of tests/data/snapshots
# that a bug-report can hold is packed in bug-report's layout (tests/make-bugreport.py),
# as .tar.gz and unpacked; check and the walks of tests/walks must find on it what they
# find on the fixture. Then hostile archives, each refused with its one line and exit 2.
. "$TOP_SRCDIR/tests/lib.sh"

command -v python3 >/dev/null 2>&1 && python3 -c 'import yaml' 2>/dev/null ||
	skip_all "python3 with PyYAML is needed to build the test archives"
[ -n "${JQ:-}" ] || JQ=$(command -v jq || true)
[ -n "$JQ" ] || skip_all "jq is needed"

MAKE="python3 $TOP_SRCDIR/tests/make-bugreport.py"
SNAPS=$TOP_SRCDIR/tests/data/snapshots
A=$SCRATCH/archives
mkdir -p "$A"

# findings, and which checks were skipped (reasons name the source, so they differ)
summary() {
	"$JQ" -S '{findings, skipped: [.skipped[].check]}'
}

packed=0 lossy=0
for d in "$SNAPS"/*/; do
	n=$(basename "$d")
	[ -f "$d/resources.json" ] || continue
	st=0
	$MAKE "$d" "$A/$n.tar.gz" 2>/dev/null || st=$?
	if [ "$st" = 3 ]; then lossy=$((lossy + 1)); rm -f "$A/$n.tar.gz"; continue; fi
	[ "$st" = 0 ] || { not_ok "$n: the archive is built"; continue; }
	$MAKE "$d" "$A/$n.dir" 2>/dev/null || true
	packed=$((packed + 1))
	"$MESHMEDIC" check --snapshot "$d" --format json 2>/dev/null | summary >"$SCRATCH/want" || true
	for form in tar.gz dir; do
		"$MESHMEDIC" check --snapshot "$A/$n.$form" --format json 2>"$SCRATCH/err" |
			summary >"$SCRATCH/got" || true
		if cmp -s "$SCRATCH/want" "$SCRATCH/got"; then
			ok "check: $n as a bug-report $form finds what the snapshot does"
		else
			diff "$SCRATCH/want" "$SCRATCH/got" >"$SCRATCH/why" || true
			cat "$SCRATCH/err" >>"$SCRATCH/why"
			not_ok "check: $n as a bug-report $form finds what the snapshot does" "$SCRATCH/why"
		fi
	done
done
if [ "$packed" -ge 100 ]; then ok "$packed fixtures packed, $lossy that a bug-report cannot hold left out"
else not_ok "only $packed fixtures packed ($lossy left out)"; fi

# the walks of tests/walks over fixtures: the same steps and diagnosis on the archive
walk_summary() {
	"$JQ" -S '{status, diagnosis: .diagnosis.id, answers: [.path[] | .node + "=" + .answer]}'
}
grep -h -- '--snapshot @TOP@/tests/data/snapshots/' "$TOP_SRCDIR"/tests/walks/* | while read -r flow _expected rest; do
	snap=${rest##*--snapshot @TOP@/tests/data/snapshots/}
	snap=${snap%% *}
	[ -f "$A/$snap.tar.gz" ] || continue
	args=${rest/"--snapshot @TOP@/tests/data/snapshots/$snap"/}
	# shellcheck disable=SC2086
	"$MESHMEDIC" run "$flow" --batch --format json --snapshot "$SNAPS/$snap" $args 2>/dev/null |
		walk_summary >"$SCRATCH/want" || true
	# shellcheck disable=SC2086
	"$MESHMEDIC" run "$flow" --batch --format json --snapshot "$A/$snap.tar.gz" $args 2>"$SCRATCH/err" |
		walk_summary >"$SCRATCH/got" || true
	if cmp -s "$SCRATCH/want" "$SCRATCH/got"; then
		ok "run $flow on $snap as a bug-report: the same walk"
	else
		{ diff "$SCRATCH/want" "$SCRATCH/got"; cat "$SCRATCH/err"; } >"$SCRATCH/why" || true
		not_ok "run $flow on $snap as a bug-report: the same walk" "$SCRATCH/why"
	fi
done >"$SCRATCH/walks.tap"
# the subshell's cases, numbered on
while read -r line; do
	case $line in
	"ok "*) ok "${line#ok * - }" ;;
	"not ok "*) not_ok "${line#not ok * - }" ;;
	"# "*) echo "$line" ;;
	esac
done <"$SCRATCH/walks.tap"

# refused: CASE EXPECTED-LINE (the archive's path is A/CASE.tar.gz)
refused() {
	local k=$1 want=$2 st=0
	$MAKE --hostile "$k" "$A/$k.tar.gz"
	"$MESHMEDIC" check --snapshot "$A/$k.tar.gz" >"$SCRATCH/out" 2>"$SCRATCH/err" || st=$?
	if [ "$st" = 2 ] && [ "$(cat "$SCRATCH/err")" = "$A/$k.tar.gz: $want" ] && [ ! -s "$SCRATCH/out" ]; then
		ok "hostile archive ($k): refused, exit 2, one line"
	else
		{ echo "exit $st"; cat "$SCRATCH/err"; } >"$SCRATCH/why"
		not_ok "hostile archive ($k): refused, exit 2, one line" "$SCRATCH/why"
	fi
}
refused traversal "member bug-report/../../etc/cron.d/x: a path that leaves the archive (..) is refused"
refused absolute "member /etc/passwd: an absolute path is refused"
refused symlink "member bug-report/cluster/crs: a symbolic link (to /etc/shadow) is refused"
refused hardlink "member bug-report/cluster/crs: a hard link (to /etc/shadow) is refused"
refused device "member bug-report/cluster/crs: not a regular file or folder: refused"
refused huge "member bug-report/proxies/default/p/config_dump: 300 MiB: over the limit of 256 MiB per member"
refused bomb "member bug-report/proxies/default/p/istio-proxy.log: 64 MiB unpacked from 63 KiB: over 200 times its size, a decompression bomb"
refused many "member bug-report/analyze/m099999: more than 100000 members: over the limit"

# the unpacked directory holds to the same rules: a symbolic link is refused
$MAKE "$SNAPS/healthy" "$A/link.dir"
ln -s /etc/passwd "$A/link.dir/bug-report/cluster/nodes"
st=0
"$MESHMEDIC" check --snapshot "$A/link.dir" 2>"$SCRATCH/err" >/dev/null || st=$?
if [ "$st" = 2 ] && [ "$(cat "$SCRATCH/err")" = "$A/link.dir: member bug-report/cluster/nodes: a symbolic link is refused" ]; then
	ok "unpacked directory with a symbolic link: refused"
else not_ok "unpacked directory with a symbolic link: refused" "$SCRATCH/err"; fi

# not a tar archive; no cluster/k8s-resources; YAML that is broken names the member and line
echo garbage | gzip >"$A/garbage.tar.gz"
st=0
"$MESHMEDIC" check --snapshot "$A/garbage.tar.gz" 2>"$SCRATCH/err" >/dev/null || st=$?
if [ "$st" = 2 ] && grep -qx "$A/garbage.tar.gz: cannot read the archive: .*" "$SCRATCH/err"; then
	ok "a gzip file that is no tar archive: one line, exit 2"
else not_ok "a gzip file that is no tar archive: one line, exit 2" "$SCRATCH/err"; fi
mkdir -p "$SCRATCH/empty/bug-report/proxies"
tar -czf "$A/empty.tar.gz" -C "$SCRATCH/empty" bug-report
st=0
"$MESHMEDIC" check --snapshot "$A/empty.tar.gz" 2>"$SCRATCH/err" >/dev/null || st=$?
if [ "$st" = 2 ] && [ "$(cat "$SCRATCH/err")" = "$A/empty.tar.gz: not an istioctl bug-report archive: it has no cluster/k8s-resources" ]; then
	ok "an archive without cluster/k8s-resources: named, exit 2"
else not_ok "an archive without cluster/k8s-resources: named, exit 2" "$SCRATCH/err"; fi
mkdir -p "$SCRATCH/bad/bug-report/cluster"
printf 'apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  metadata: {name: [\n' >"$SCRATCH/bad/bug-report/cluster/k8s-resources"
tar -czf "$A/bad.tar.gz" -C "$SCRATCH/bad" bug-report
st=0
"$MESHMEDIC" check --snapshot "$A/bad.tar.gz" 2>"$SCRATCH/err" >/dev/null || st=$?
if [ "$st" = 2 ] && grep -q "^$A/bad.tar.gz(bug-report/cluster/k8s-resources):[0-9]*:[0-9]*: " "$SCRATCH/err" &&
	[ "$(wc -l <"$SCRATCH/err")" = 1 ]; then
	ok "broken YAML in a member: ARCHIVE(MEMBER):LINE:COL, exit 2"
else not_ok "broken YAML in a member: ARCHIVE(MEMBER):LINE:COL, exit 2" "$SCRATCH/err"; fi

# what an archive holds reaches the model: logs split at the previous run, admin documents
"$MESHMEDIC" logs --snapshot "$A/healthy.tar.gz" --pod istiod-7d9c8b6f5-abcde -n istio-system \
	>"$SCRATCH/out" 2>&1 || true
if grep -q "in the bug-report archive $A/healthy.tar.gz" "$SCRATCH/out"; then
	ok "a log the archive does not hold: named as missing from the archive"
else not_ok "a log the archive does not hold: named as missing from the archive" "$SCRATCH/out"; fi

done_testing
