#!/usr/bin/env bash
# check-pure.sh - holds the pure modules (libbrains: models, brains, inputs,
# payloads, the demo's book) to what makes them pure: they take structs and
# the time and return structs, so none may include the event loop (uv.h),
# Redis (hiredis), HTTP (microhttpd.h), threads (pthread.h) or a header of
# the services' runtime. What they may include from common/ is the pure
# core named below; from their own directories, other pure headers.
# usage: check-pure.sh FILE.c ...   (make test passes libbrains' sources)
set -u
# common/ headers that are pure themselves: error codes, the normal
# distribution, jansson helpers, trade-event parsing
core="orch.h normal.h json_util.h trade.h"
forbidden_sys='uv\.h|hiredis/|microhttpd\.h|pthread\.h'

# the headers of the pure sources (ceo_brain.c -> ceo_brain.h) are pure too
pure_headers=""
for f in "$@"; do
	h=${f%.c}.h
	[ -f "$h" ] && pure_headers="$pure_headers $(basename "$h")"
done

bad=0
check() { # file
	local file=$1 inc
	while IFS= read -r inc; do
		case $inc in
		\<*)
			if echo "$inc" | grep -Eq "<($forbidden_sys)"; then
				echo "check-pure: $file includes $inc (the loop, Redis, HTTP or threads)" >&2
				bad=1
			fi
			;;
		\"*)
			local name=${inc//\"/}
			case " $core $pure_headers " in
			*" $name "*) ;;
			*)
				echo "check-pure: $file includes \"$name\", which is not part of the pure core ($core) nor a pure module's header" >&2
				bad=1
				;;
			esac
			;;
		esac
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*\([<"][^>"]*[>"]\).*/\1/p' "$file")
}
for f in "$@"; do
	check "$f"
	h=${f%.c}.h
	[ -f "$h" ] && check "$h"
done
if [ $bad -ne 0 ]; then
	echo "check-pure: FAIL (a pure module reaches outside the pure core)" >&2
	exit 1
fi
echo "check-pure: $# pure modules include only the pure core"
