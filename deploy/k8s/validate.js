// validate.js - checks rendered Kubernetes manifests offline: every object
// against the Kubernetes OpenAPI schemas (kubernetes-models), then the
// properties this project relies on, which the schemas cannot catch
// (they accept unknown keys): probes on the admin port (the federation's
// liveness on its API port), resources, a
// locked-down security context, a PodDisruptionBudget per Deployment, two
// ceo replicas, the federation's Service and autoscaler, the operators'
// command key from the Secret for the ceo and the federation.
// Usage: kubectl kustomize OVERLAY | node validate.js
"use strict";

const fs = require("fs");
const yaml = require("js-yaml");

const docs = yaml.loadAll(fs.readFileSync(0, "utf8")).filter(Boolean);
const problems = [];
const where = (o) => `${o.kind}/${o.metadata && o.metadata.name}`;

for (const o of docs) {
  const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : [null, o.apiVersion];
  const path = `kubernetes-models/${group ? group + "/" : ""}${version}/${o.kind}`;
  let Model;
  try {
    Model = require(path)[o.kind];
  } catch (e) {
    problems.push(`${where(o)}: no schema for ${o.apiVersion} ${o.kind}`);
    continue;
  }
  try {
    new Model(o).validate();
  } catch (e) {
    problems.push(`${where(o)}: ${e.message}`);
  }
}

const byKind = (k) => docs.filter((o) => o.kind === k);
const deployments = byKind("Deployment");
const pdbs = new Set(byKind("PodDisruptionBudget").map((p) => p.spec.selector.matchLabels["app.kubernetes.io/name"]));
const need = (cond, msg) => { if (!cond) problems.push(msg); };

for (const d of deployments) {
  const name = d.metadata.name;
  const pod = d.spec.template.spec;
  need(pod.securityContext && pod.securityContext.runAsNonRoot === true, `${name}: pod must run as non-root`);
  need(pdbs.has(name), `${name}: no PodDisruptionBudget`);
  for (const c of pod.containers) {
    const sc = c.securityContext || {};
    need(sc.readOnlyRootFilesystem === true, `${name}: root filesystem must be read-only`);
    need(sc.allowPrivilegeEscalation === false, `${name}: privilege escalation must be off`);
    need(c.resources && c.resources.requests && c.resources.limits, `${name}: resources missing`);
    const admin = (c.ports || []).find((p) => p.name === "admin");
    need(admin && admin.containerPort === 9100, `${name}: admin port 9100 missing`);
    // the federation's liveness covers its API port, which serves /healthz
    // too: a flood there must restart it while the admin port stays 200
    const livePort = name === "federation" ? "api" : "admin";
    for (const [probe, path, port] of [["readinessProbe", "/readyz", "admin"], ["livenessProbe", "/healthz", livePort]]) {
      const g = c[probe] && c[probe].httpGet;
      need(g && g.path === path && g.port === port, `${name}: ${probe} must GET ${path} on the ${port} port`);
    }
    const env = Object.fromEntries((c.env || []).map((e) => [e.name, e]));
    need(env.ORCH_INSTANCE_ID && env.ORCH_INSTANCE_ID.valueFrom, `${name}: ORCH_INSTANCE_ID must come from the pod name`);
    need(env.ORCH_REDIS_URL, `${name}: ORCH_REDIS_URL missing`);
  }
}
const ceo = deployments.find((d) => d.metadata.name === "ceo");
need(ceo && ceo.spec.replicas === 2, "ceo: two replicas (one leader by lease)");
const svc = byKind("Service").find((s) => s.metadata.name === "federation");
need(svc && svc.spec.ports.some((p) => p.port === 8000), "federation: Service on port 8000 missing");
const hpa = byKind("HorizontalPodAutoscaler").find((h) => h.spec.scaleTargetRef.name === "federation");
need(hpa, "federation: HorizontalPodAutoscaler missing");
need(byKind("ConfigMap").some((c) => c.metadata.name === "orch-config"), "ConfigMap orch-config missing");
const secrets = byKind("Secret").find((s) => s.metadata.name === "orch-secrets");
need(secrets, "Secret orch-secrets missing");
need(secrets && "ORCH_COMMAND_KEY" in Object.assign({}, secrets.data, secrets.stringData),
  "orch-secrets: ORCH_COMMAND_KEY missing");
// the CEO verifies operators' commands and the federation signs them: both
// take the one key from the Secret, never from a value written here
for (const name of ["ceo", "federation"]) {
  const d = deployments.find((x) => x.metadata.name === name);
  const env = d ? Object.fromEntries((d.spec.template.spec.containers[0].env || []).map((e) => [e.name, e])) : {};
  const ref = env.ORCH_COMMAND_KEY && env.ORCH_COMMAND_KEY.valueFrom && env.ORCH_COMMAND_KEY.valueFrom.secretKeyRef;
  need(ref && ref.name === "orch-secrets" && ref.key === "ORCH_COMMAND_KEY",
    `${name}: ORCH_COMMAND_KEY must come from the Secret orch-secrets`);
}

if (problems.length) {
  for (const p of problems) console.error("FAIL: " + p);
  process.exit(1);
}
console.log(`validate.js: ${docs.length} objects valid`);
