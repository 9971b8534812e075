#!/usr/bin/env bash
# vendor-web.sh - refreshes the dashboard's chart library in
# federation/web/vendor/ from npm: uPlot (MIT, Leon Sorokin), pinned to one
# version and checked against the registry's integrity hash before its
# files and licence are copied. The copies are committed, so building
# needs neither npm nor the network; run this only to change the version.
set -euo pipefail
cd "$(dirname "$0")/.."
version=1.6.32
integrity=sha512-KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw==
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "uplot@$version" >/dev/null 2>npm.log) || { cat "$tmp/npm.log" >&2; exit 1; }
got="sha512-$(openssl dgst -sha512 -binary "$tmp/uplot-$version.tgz" | base64 -w0)"
if [ "$got" != "$integrity" ]; then
	echo "vendor-web: uplot-$version.tgz does not match the pinned integrity ($got)" >&2
	exit 1
fi
tar xzf "$tmp/uplot-$version.tgz" -C "$tmp"
cp "$tmp/package/dist/uPlot.iife.min.js" "$tmp/package/dist/uPlot.min.css" federation/web/vendor/
cp "$tmp/package/LICENSE" federation/web/vendor/LICENSE.uPlot
echo "vendor-web: uPlot $version in federation/web/vendor/"
