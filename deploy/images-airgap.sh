#!/usr/bin/env bash
# images-airgap.sh - makes the two images docker-compose.yml starts from
# with no container registry, from the Debian mirror alone (`make
# images-airgap`, for air-gapped sites): debian:12-slim, also tagged
# debian:bookworm-slim (the FROM of deploy/Dockerfile), by `debootstrap
# --variant=minbase bookworm` with the current updates and then `docker
# import`; and redis:7, Debian's redis-server FROM that base
# (deploy/airgap/redis.Dockerfile). An image that already exists is kept
# unless --force. Needs root (debootstrap) and a docker engine that answers;
# installs debootstrap when missing.
#
#   images-airgap.sh [--force]
#
# The mirror is the one this host's apt uses for bookworm (and
# bookworm-updates, bookworm-security), or ORCH_DEBIAN_MIRROR and
# ORCH_DEBIAN_SECURITY_MIRROR; the images' apt uses the same.
set -euo pipefail

force=0
for a in "$@"; do
	case $a in
	--force) force=1 ;;
	*) echo "images-airgap: unknown argument '$a' (supported: --force)" >&2; exit 2 ;;
	esac
done
cd "$(dirname "$0")/.."

[ "$(id -u)" -eq 0 ] || { echo "images-airgap: debootstrap needs root" >&2; exit 1; }
if ! docker info >/dev/null 2>&1; then
	echo "images-airgap: no docker engine answers (start one: systemctl start docker, or dockerd &)" >&2
	exit 1
fi
work=$(mktemp -d /var/tmp/orch-images-XXXXXX)
trap 'rm -rf "$work"' EXIT
if ! command -v debootstrap >/dev/null; then
	echo "images-airgap: installing debootstrap"
	deploy/install-deps.sh --only debootstrap debian-archive-keyring >"$work/apt.log" 2>&1 || {
		tail -20 "$work/apt.log" >&2
		exit 1
	}
fi

# apt_uri SUITE: the first URI this host's apt fetches SUITE from (deb822
# .sources first, then one-line lists), or nothing
apt_uri() {
	local uri
	uri=$(awk -v suite="$1" 'BEGIN { RS = ""; FS = "\n" }
		{ uri = ""; has = 0
		  for (i = 1; i <= NF; i++) {
			if ($i ~ /^URIs:/) { split($i, w, " "); uri = w[2] }
			if ($i ~ /^Suites:/) { n = split($i, w, " "); for (j = 2; j <= n; j++) if (w[j] == suite) has = 1 }
		  }
		  if (has && uri != "") { print uri; exit } }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	[ -n "$uri" ] || uri=$(sed -e 's/\[[^]]*\] *//' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk -v suite="$1" '$1 == "deb" && $3 == suite { print $2; exit }' || true)
	printf '%s' "$uri"
}

mirror=${ORCH_DEBIAN_MIRROR:-$(apt_uri bookworm)}
updates=${ORCH_DEBIAN_MIRROR:-$(apt_uri bookworm-updates)}
security=${ORCH_DEBIAN_SECURITY_MIRROR:-$(apt_uri bookworm-security)}

if [ "$force" -eq 1 ] || ! docker image inspect debian:12-slim >/dev/null 2>&1; then
	echo "images-airgap: debootstrap bookworm from ${mirror:-the default mirror of debootstrap}"
	rootfs=$work/rootfs
	# shellcheck disable=SC2086 # an empty mirror: the default of debootstrap
	if ! debootstrap --variant=minbase bookworm "$rootfs" $mirror >"$work/debootstrap.log" 2>&1; then
		tail -20 "$work/debootstrap.log" >&2
		exit 1
	fi
	[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' "$rootfs/etc/apt/sources.list")
	{
		echo "deb $mirror bookworm main"
		[ -z "$updates" ] || echo "deb $updates bookworm-updates main"
		[ -z "$security" ] || echo "deb $security bookworm-security main"
	} >"$rootfs/etc/apt/sources.list"
	# as the official slim image: no documentation, manuals or translations
	cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<-'EOF'
	path-exclude /usr/share/doc/*
	path-include /usr/share/doc/*/copyright
	path-exclude /usr/share/man/*
	path-exclude /usr/share/info/*
	path-exclude /usr/share/locale/*
	path-include /usr/share/locale/locale.alias
	EOF
	if ! chroot "$rootfs" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get upgrade -y -qq &&
		apt-get clean' >>"$work/debootstrap.log" 2>&1; then
		tail -20 "$work/debootstrap.log" >&2
		exit 1
	fi
	find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
	rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
	find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
	mkdir -p "$rootfs/var/lib/apt/lists/partial"
	tar -C "$rootfs" -c . | docker import --change 'CMD ["bash"]' - debian:12-slim >/dev/null
	docker tag debian:12-slim debian:bookworm-slim
	rm -rf "$rootfs"
	force=1 # redis:7 follows its base
fi
echo "images-airgap: debian:12-slim, $(docker image inspect -f '{{.Size}}' debian:12-slim | numfmt --to=si)B (at $SECONDS s)"

if [ "$force" -eq 1 ] || ! docker image inspect redis:7 >/dev/null 2>&1; then
	echo "images-airgap: building the redis:7 stand-in (deploy/airgap/redis.Dockerfile)"
	if ! docker build -q -t redis:7 -f deploy/airgap/redis.Dockerfile deploy/airgap >"$work/redis.log" 2>&1; then
		tail -20 "$work/redis.log" >&2
		exit 1
	fi
fi
echo "images-airgap: redis:7, $(docker image inspect -f '{{.Size}}' redis:7 | numfmt --to=si)B (at $SECONDS s)"
