#!/bin/bash
# Rendered fixes, applied: for every tests/check case and every snapshot of
# tests/data/snapshots, each finding's fix_rendered (from check's JSON) is
# applied to its fixture object as a JSON merge patch (RFC 7386, in jq); the
# patched fixture is checked again, and the finding must be gone with no new
# one. The kubectl line must carry exactly that patch. A finding without a
# rendered fix is a TAP skip with the reason meshmedic gives.
. "$TOP_SRCDIR/tests/lib.sh"
: "${JQ:=jq}"
command -v "$JQ" >/dev/null 2>&1 || skip_all "jq is not installed"
YAML2JSON=${TOP_BUILDDIR:-$TOP_SRCDIR}/tests/yaml2json
[ -x "$YAML2JSON" ] || skip_all "tests/yaml2json is not built (make check builds it)"

# RFC 7386: objects merge member by member, null removes, anything else replaces.
MERGE='def mp($p): if ($p | type) != "object" then $p
	else (if type == "object" then . else {} end) as $t
	| reduce ($p | to_entries[]) as $e ($t;
		if $e.value == null then del(.[$e.key]) else .[$e.key] = (.[$e.key] | mp($e.value)) end)
	end;'

# The findings of check's JSON (file $1) as "DIAGNOSIS RESOURCE MESSAGE" lines, sorted.
finding_set() {
	"$JQ" -r '.findings[] | "\(.diagnosis) \(.resource) \(.message)"' "$1" | sort
}

# The merge patch a kubectl line (on stdin) makes, as sorted JSON: the -p argument of
# kubectl patch, or the KEY=VALUE / KEY- words of kubectl label and annotate.
patch_of_line() {
	local line
	line=$(cat)
	case $line in
	"kubectl patch "*)
		line=${line#*--type merge -p \'}
		line=${line%\'}
		printf '%s' "${line//\'\\\'\'/\'}" | "$JQ" -S -c . ;;
	"kubectl label "* | "kubectl annotate "*)
		local field=labels
		case $line in "kubectl annotate "*) field=annotations ;; esac
		# words after the resource and name (and -n NS), before --overwrite
		set -- $line
		shift 4
		[ "${1:-}" = -n ] && shift 2
		local obj='{}'
		for w in "$@"; do
			case $w in
			--overwrite) ;;
			*=*) obj=$("$JQ" -c --arg k "${w%%=*}" --arg v "${w#*=}" '.[$k] = $v' <<<"$obj") ;;
			*-) obj=$("$JQ" -c --arg k "${w%-}" '.[$k] = null' <<<"$obj") ;;
			esac
		done
		"$JQ" -S -c --arg f "$field" '{metadata: {($f): .}}' <<<"$obj" ;;
	*) echo "unknown command line: $line" ;;
	esac
}

# try_case NAME SNAPDIR RESFILE [ARG...]: SNAPDIR holds RESFILE (a JSON List of the objects).
try_case() {
	local name=$1 snap=$2 res=$3
	shift 3
	"$MESHMEDIC" check --snapshot "$snap" --format json "$@" >"$SCRATCH/before.json" 2>"$SCRATCH/err" || true
	if ! "$JQ" -e .findings "$SCRATCH/before.json" >/dev/null 2>&1; then
		not_ok "$name: check runs" "$SCRATCH/err"
		return
	fi
	finding_set "$SCRATCH/before.json" >"$SCRATCH/before-set"
	local n i
	n=$("$JQ" '.findings | length' "$SCRATCH/before.json")
	for ((i = 0; i < n; i++)); do
		"$JQ" ".findings[$i]" "$SCRATCH/before.json" >"$SCRATCH/f.json"
		local what
		what=$("$JQ" -r '"\(.diagnosis) \(.resource)"' "$SCRATCH/f.json")
		if ! "$JQ" -e .fix_rendered "$SCRATCH/f.json" >/dev/null; then
			echo "ok $((TAP_N += 1)) - $name: $what # SKIP $("$JQ" -r '.fix_not_rendered // "no reason given"' "$SCRATCH/f.json")"
			continue
		fi
		# the kubectl line makes exactly the merge patch
		"$JQ" -r .fix_rendered.patch "$SCRATCH/f.json" | patch_of_line >"$SCRATCH/line-patch"
		"$JQ" -S -c .fix_rendered.merge_patch "$SCRATCH/f.json" >"$SCRATCH/want-patch"
		if ! diff -u "$SCRATCH/want-patch" "$SCRATCH/line-patch" >"$SCRATCH/why"; then
			not_ok "$name: $what: the kubectl line makes the rendered patch" "$SCRATCH/why"
			continue
		fi
		# apply it to the fixture object, and check again
		rm -rf "$SCRATCH/after" && cp -r "$snap" "$SCRATCH/after"
		"$JQ" --slurpfile f "$SCRATCH/f.json" "$MERGE"'
			($f[0].fix_rendered) as $r
			| .items |= map(if .kind == $r.kind and .metadata.name == $r.name
				and (.metadata.namespace // "") == $r.namespace
				then mp($r.merge_patch) else . end)' "$snap/$res" >"$SCRATCH/after/$res"
		if cmp -s "$snap/$res" "$SCRATCH/after/$res"; then
			not_ok "$name: $what: the patch changes the fixture object" "$SCRATCH/f.json"
			continue
		fi
		"$MESHMEDIC" check --snapshot "$SCRATCH/after" --format json "$@" >"$SCRATCH/after.json" 2>"$SCRATCH/err" || true
		finding_set "$SCRATCH/after.json" >"$SCRATCH/after-set"
		local gone=1 added
		"$JQ" -r '"\(.diagnosis) \(.resource) \(.message)"' "$SCRATCH/f.json" >"$SCRATCH/this"
		grep -qxF -f "$SCRATCH/this" "$SCRATCH/after-set" && gone=0
		# a fix in two steps names the diagnosis its second step clears (pods to restart)
		local follow
		follow=$("$JQ" -r '.fix_rendered.follow_up // "-"' "$SCRATCH/f.json")
		added=$(comm -13 "$SCRATCH/before-set" "$SCRATCH/after-set" | { grep -v "^$follow " || true; })
		echo "$name: $what" >>"$SCRATCH/rendered"
		if [ "$gone" = 1 ] && [ -z "$added" ]; then
			local later=""
			[ "$follow" = - ] || later=" (but $follow, which its note's next step clears)"
			ok "$name: $what: the rendered fix applied makes the finding go and adds none$later"
		else
			{
				[ "$gone" = 1 ] || echo "still found: $(cat "$SCRATCH/this")"
				[ -z "$added" ] || printf 'new findings:\n%s\n' "$added"
				"$JQ" -r .fix_rendered.diff "$SCRATCH/f.json"
				cat "$SCRATCH/err"
			} >"$SCRATCH/why"
			not_ok "$name: $what: the rendered fix applied makes the finding go and adds none" "$SCRATCH/why"
		fi
	done
}

# tests/check: manifests (with base.yaml) converted into one JSON List, or a snapshot folder.
for dir in "$TOP_SRCDIR"/tests/check/*/; do
	dir=${dir%/}
	args=()
	[ -f "$dir/args" ] && mapfile -t args <"$dir/args"
	grep -q . "$dir/expect" 2>/dev/null || continue
	rm -rf "$SCRATCH/case" && mkdir "$SCRATCH/case"
	if [ -f "$dir/resources.json" ]; then
		cp -r "$dir"/. "$SCRATCH/case/"
		res=resources.json
	else
		files=("$TOP_SRCDIR/tests/check/base.yaml")
		for f in "$dir"/*.yaml "$dir"/*.json; do [ -e "$f" ] && files+=("$f"); done
		if ! "$YAML2JSON" "${files[@]}" >"$SCRATCH/case/objects.json" 2>"$SCRATCH/err"; then
			not_ok "${dir##*/}: manifests convert" "$SCRATCH/err"
			continue
		fi
		res=objects.json
	fi
	try_case "${dir##*/}" "$SCRATCH/case" "$res" "${args[@]}"
done

for dir in "$TOP_SRCDIR"/tests/data/snapshots/*/; do
	dir=${dir%/}
	grep -q . "$dir/expect" 2>/dev/null || continue
	rm -rf "$SCRATCH/case" && cp -r "$dir" "$SCRATCH/case"
	try_case "snapshot ${dir##*/}" "$SCRATCH/case" resources.json
done

# The fixes issue 18 names are rendered, not skipped: the circuit breaker on a rule with
# subsets, the 404 on an existing VirtualService, the TLS mode, the namespace label.
touch "$SCRATCH/rendered"
while read -r want; do
	if grep -qxF "$want" "$SCRATCH/rendered"; then ok "rendered: $want"
	else echo "no fix_rendered for $want" >"$SCRATCH/why"; not_ok "rendered: $want" "$SCRATCH/why"; fi
done <<'END'
snapshot circuit-breaker-no-pending-limit: circuit-breaker-no-pending-limit DestinationRule/shop/catalog
snapshot gateway-host-mismatch: gateway-host-mismatch VirtualService/shop/shop
snapshot vs-not-bound-to-gateway: vs-not-bound-to-gateway VirtualService/shop/shop
snapshot dr-tls-conflict: dr-tls-conflict DestinationRule/shop/cart
namespace-not-labeled-mixed: namespace-not-labeled Namespace/orders
exportto-unknown-namespace: exportto-unknown-namespace Service/shop/catalog
service-target-port-undeclared: service-target-port-undeclared Service/shop/cart
END
done_testing
