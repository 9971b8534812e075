#!/usr/bin/env bash
# install-deps.sh - installs the Debian packages that building, testing and
# the demo need (`--bench`, `--fuzz`, `--format`: and the benchmarks, the
# fuzzers, the format check;
# `--only PKG ...`: just the packages named, as deploy/compose-test.sh asks
# for the docker engine). `--check` only reports: exit 0 when all are present.
# Uses sudo when not root; when neither works, prints the exact command.
set -euo pipefail

PACKAGES=(
	build-essential pkg-config
	libhiredis-dev libuv1-dev libjansson-dev libmicrohttpd-dev check
	redis-server redis-tools redis-sentinel
	python3 python3-redis python3-httpx
	curl procps
	chromium python3-websocket
)

# `--bench` adds what `make bench` measures against (the HTTP ceiling),
# `--fuzz` the compiler of `make fuzz`, `--format` the formatter of
# `make format-check`, `--deploy` the offline checkers of deploy/validate.sh.
args=()
only=0
named=()
for a in "$@"; do
	case $a in
	--only) only=1 ;;
	--bench) PACKAGES+=(wrk nginx-light) ;;
	--fuzz) PACKAGES+=(clang) ;;
	--format) PACKAGES+=(clang-format) ;;
	--deploy)
		PACKAGES+=(docker-compose kubectl shellcheck)
		# a node and npm from elsewhere (e.g. nodesource) serve as well
		command -v node >/dev/null && command -v npm >/dev/null || PACKAGES+=(nodejs npm)
		;;
	-*) args+=("$a") ;;
	*) named+=("$a") ;;
	esac
done
set -- "${args[@]+"${args[@]}"}"
[ "$only" -eq 0 ] || PACKAGES=("${named[@]+"${named[@]}"}")

missing=()
for p in "${PACKAGES[@]+"${PACKAGES[@]}"}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ "${1:-}" = "--check" ]; then
	if [ ${#missing[@]} -eq 0 ]; then
		exit 0
	fi
	echo "missing Debian packages: ${missing[*]}" >&2
	exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all packages present"
	exit 0
fi

cmd=(apt-get install -y --no-install-recommends "${missing[@]}")
if [ "$(id -u)" -eq 0 ]; then
	sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	sudo=(sudo -n)
else
	echo "install-deps: need root to install: ${missing[*]}" >&2
	echo "run: sudo apt-get update && sudo ${cmd[*]}" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get update -qq || ! "${sudo[@]}" "${cmd[@]}"; then
	echo "install-deps: apt-get failed; run by hand: apt-get update && ${cmd[*]}" >&2
	exit 1
fi
