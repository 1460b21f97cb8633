#!/bin/bash
# The limits on hostile input (src/base/limits.h, meshmedic.1 LIMITS): each
# input goes past one limit and must be refused with one line naming the
# file, the place and the limit, exit status 2, in bounded time and memory.
# The fixtures are in tests/limits; the large ones are made here.
. "$TOP_SRCDIR/tests/lib.sh"
L=$TOP_SRCDIR/tests/limits

# Memory is capped (1.5 GB) where the build allows it: a sanitizer build
# reserves more address space than that before main.
cap=
if (ulimit -v 1500000 && "$MESHMEDIC" --version) >/dev/null 2>&1; then cap=1500000; fi

# run NAME WANT-STATUS WANT-STDERR-FILE|- ARGS...: the program under a time (TIME_CAP
# seconds, 30 unless set) and memory cap.
run() {
	local name=$1 want=$2 err=$3 status=0
	shift 3
	(
		[ -z "$cap" ] || ulimit -v "$cap"
		cd "$SCRATCH" && exec timeout "${TIME_CAP:-30}" "$MESHMEDIC" "$@"
	) </dev/null >"$SCRATCH/out" 2>"$SCRATCH/err" || status=$?
	sed -i -e "s|$SCRATCH|@SCRATCH@|g" -e "s|$TOP_SRCDIR|@TOP@|g" "$SCRATCH/err"
	{
		[ "$status" = "$want" ] || echo "exit status $status, expected $want"
		[ "$err" = - ] || diff -u "$err" "$SCRATCH/err" || true
		[ "$want" != 2 ] || [ ! -s "$SCRATCH/out" ] || echo "something written to stdout on exit 2"
	} >"$SCRATCH/why" 2>&1
	if [ -s "$SCRATCH/why" ]; then
		cat "$SCRATCH/err" >>"$SCRATCH/why"
		not_ok "$name" "$SCRATCH/why"
	else
		ok "$name"
	fi
}

want() { printf '%s\n' "$1" >"$SCRATCH/want"; }

# A "billion laughs" of anchors: 9^9 nodes from 440 bytes.
want '@TOP@/tests/limits/alias-bomb.yaml:13:10: YAML alias expansion exceeds 1000000 nodes'
run yaml-alias-expansion 2 "$SCRATCH/want" check --snapshot "$L/alias-bomb.yaml"

# More aliases than allowed, each of them small.
{
	printf 'kind: ConfigMap\nmetadata: {name: many}\ndata:\n  a: &a x\n  list:\n'
	for _ in $(seq 10001); do echo '  - *a'; done
} >"$SCRATCH/aliases.yaml"
want '@SCRATCH@/aliases.yaml:10006:5: YAML document has more than 10000 aliases'
run yaml-alias-count 2 "$SCRATCH/want" check --snapshot "$SCRATCH/aliases.yaml"

# A bomb under the limit in each of many documents: the expansion adds up
# over the file (it was counted per document: 30 of them took 20 s and 2 GB).
for i in $(seq 30); do
	printf -- '---\nkind: ConfigMap\nmetadata: {name: lol%s}\ndata:\n' "$i"
	printf '  a: &a [x, x, x, x, x, x, x, x, x]\n'
	prev=a
	for k in b c d e f; do
		printf '  %s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n' $k $k $prev $prev $prev $prev $prev $prev $prev $prev $prev
		prev=$k
	done
done >"$SCRATCH/bombs.yaml"
want '@SCRATCH@/bombs.yaml:20:22: YAML alias expansion exceeds 1000000 nodes'
run yaml-alias-expansion-documents 2 "$SCRATCH/want" check --snapshot "$SCRATCH/bombs.yaml"

# The same bomb in the istio ConfigMap's mesh key, read when a detector asks
# for meshConfig: the key is unreadable, the rest of the check goes on.
run mesh-alias-expansion-check 1 - check --snapshot "$L/mesh-alias-bomb.yaml"
run mesh-alias-expansion-logs 0 - logs --snapshot "$L/mesh-alias-bomb.yaml" "$L/access.log"

# Nesting: 100000 flow sequences cost libyaml minutes; refused at level 2049.
python3 -c "print('kind: Pod\nmetadata: {name: deep}\nspec: ' + '[' * 100000 + ']' * 100000)" \
	>"$SCRATCH/deep.yaml"
want '@SCRATCH@/deep.yaml:3:2054: YAML nesting exceeds 2048 levels'
run yaml-depth 2 "$SCRATCH/want" check --snapshot "$SCRATCH/deep.yaml"

# A file over the size limit is refused before it is read (a sparse file: no disk used).
truncate -s 300M "$SCRATCH/huge.yaml"
want '@SCRATCH@/huge.yaml: cannot read: the file exceeds the limit of 268435456 bytes'
run file-size 2 "$SCRATCH/want" check --snapshot "$SCRATCH/huge.yaml"
# ... and so is a pipe that brings more (logs reads its input in pieces, --answers whole).
truncate -s 300M "$SCRATCH/huge.json"
(
	[ -z "$cap" ] || ulimit -v "$cap"
	timeout 30 "$MESHMEDIC" run 503 --batch --answers - <"$SCRATCH/huge.json" >"$SCRATCH/out" 2>"$SCRATCH/err"
) && status=0 || status=$?
if [ "$status" = 2 ] && grep -q 'exceeds the limit of 268435456 bytes' "$SCRATCH/err"; then
	ok file-size-pipe
else
	echo "exit status $status" >"$SCRATCH/why"
	cat "$SCRATCH/err" >>"$SCRATCH/why"
	not_ok file-size-pipe "$SCRATCH/why"
fi

# 64000 objects without a name: one error each, each placed by a binary search
# (a tenth of a second; a linear scan each took 15 s or more).
python3 -c "import json; print(json.dumps([{'kind': 'Pod', 'metadata': {}}] * 64000))" \
	>"$SCRATCH/nameless.json"
want '@SCRATCH@/nameless.json:1:2: not a Kubernetes object: it has no metadata.name (and 63999 more problems)'
TIME_CAP=5 run many-errors 2 "$SCRATCH/want" check --snapshot "$SCRATCH/nameless.json"

# A help page line over the line limit.
mkdir -p "$SCRATCH/help"
{
	printf '# Long\n\n'
	head -c 300000 /dev/zero | tr '\0' a
	echo
} >"$SCRATCH/help/long-line.md"
want '@SCRATCH@/help/long-line.md:3:1: line exceeds 262144 bytes'
run help-line-length 2 "$SCRATCH/want" lint "$SCRATCH/help/long-line.md"

done_testing
