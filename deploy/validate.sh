#!/usr/bin/env bash
# validate.sh - checks the deployment descriptions offline (no docker engine,
# no cluster; see ../shared/spec/deploy-validation.md): docker-compose.yml
# with Debian's docker-compose (also its demo and tools profiles; one
# service builds the image, the others run it); the Dockerfile's build
# stage by building from exactly the paths it copies, and its runtime
# packages against apt; every kustomize overlay rendered by kubectl and
# checked by deploy/k8s/validate.js (Kubernetes schemas and the project's
# rules); the deploy scripts with shellcheck. Both deployments read the
# Redis ACL and passwords of deploy/redis/gen-acl.sh: the checks write them
# afresh in a scratch directory. Installs what it needs (install-deps.sh
# --deploy, npm ci). Exit 0 = all valid.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh --check --deploy >/dev/null 2>&1 || deploy/install-deps.sh --deploy

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

echo "== docker-compose config (live, the demo profile in replay mode, the tools profile)"
deploy/redis/gen-acl.sh --out "$scratch/acl" >/dev/null
export ORCH_REDIS_ACL_DIR=$scratch/acl
docker-compose -f docker-compose.yml config -q
ORCH_ENV_FILE=deploy/env/replay.env docker-compose -f docker-compose.yml --profile demo config -q
docker-compose -f docker-compose.yml --profile tools config -q
builds=$(docker-compose -f docker-compose.yml --profile demo --profile tools config | grep -c '^    build:')
[ "$builds" -eq 1 ] || { echo "validate: $builds services build the image; one should, the others run it" >&2; exit 1; }

echo "== Dockerfile build stage (the paths it copies, make all)"
ctx=$scratch/ctx
mkdir "$ctx"
sed -n 's/^COPY \([^-][^ ]*\) .*/\1/p' deploy/Dockerfile | while read -r p; do
	mkdir -p "$ctx/$(dirname "$p")"
	cp -r "$p" "$ctx/$p"
done
make -C "$ctx" -j2 all >/dev/null
for b in ceo risk_officer strategy_officer federation orchctl; do
	[ -x "$ctx/build/bin/$b" ] || { echo "validate: the build stage did not produce $b" >&2; exit 1; }
done
runtime=$(sed -n 's/.*apt-get install -y --no-install-recommends \(libhiredis.*\) \\$/\1/p' deploy/Dockerfile)
# shellcheck disable=SC2086
apt-cache show $runtime >/dev/null

echo "== kustomize overlays"
if [ ! -d deploy/k8s/node_modules ]; then
	(cd deploy/k8s && npm ci --no-audit --no-fund --loglevel=error)
fi
mkdir "$scratch/k8s"
cp -r deploy/k8s/base deploy/k8s/overlays "$scratch/k8s/"
for o in deploy/k8s/overlays/*/; do
	printf '%s: ' "$o"
	deploy/redis/gen-acl.sh --out "$scratch/k8s/overlays/$(basename "$o")/redis-acl" >/dev/null
	kubectl kustomize "$scratch/k8s/overlays/$(basename "$o")" | node deploy/k8s/validate.js
done

echo "== shellcheck"
shellcheck deploy/*.sh deploy/airgap/*.sh deploy/redis/*.sh .ci/run
echo "validate: docker-compose.yml, deploy/Dockerfile (build stage) and the Kubernetes overlays are valid"
