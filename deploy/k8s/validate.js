// validate.js - checks rendered Kubernetes manifests offline: every object
// against the Kubernetes OpenAPI schemas (kubernetes-models), then the
// properties this project relies on, which the schemas cannot catch
// (they accept unknown keys): probes on the admin port (the federation's
// liveness on its API port), resources, a
// locked-down security context, a PodDisruptionBudget per Deployment, two
// ceo replicas, the federation's Service and autoscaler, every secret a pod
// reads present, Redis on its ACL, and the network policies: every pod
// behind a default deny, Redis reachable from the services (and labelled
// client namespaces) only, nothing open to any source but the federation's
// API port, the admin ports from a namespace selector only.
// Usage: kubectl kustomize OVERLAY | node validate.js
"use strict";

const fs = require("fs");
const yaml = require("js-yaml");

const docs = yaml.loadAll(fs.readFileSync(0, "utf8")).filter(Boolean);
// kustomize's generators wrap long base64 values over lines, which the API
// server ignores and the schema's "byte" format does not
for (const o of docs)
  if (o.kind === "Secret" && o.data)
    for (const k of Object.keys(o.data)) o.data[k] = String(o.data[k]).replace(/\s+/g, "");
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
need(byKind("Secret").some((s) => s.metadata.name === "orch-secrets"), "Secret orch-secrets missing");

// every secret key a pod reads exists (the generated Redis passwords too)
const workloads = deployments.concat(byKind("StatefulSet"));
const secretKeys = new Map(byKind("Secret").map((s) =>
  [s.metadata.name, new Set(Object.keys(Object.assign({}, s.data, s.stringData)))]));
for (const w of workloads) {
  const pod = w.spec.template.spec;
  for (const c of pod.containers)
    for (const e of c.env || []) {
      const ref = e.valueFrom && e.valueFrom.secretKeyRef;
      need(!ref || (secretKeys.has(ref.name) && secretKeys.get(ref.name).has(ref.key)),
        `${w.metadata.name}: ${e.name} reads ${ref && ref.name}/${ref && ref.key}, which the render lacks`);
    }
  for (const v of pod.volumes || [])
    need(!v.secret || secretKeys.has(v.secret.secretName), `${w.metadata.name}: volume ${v.name}: no Secret ${v.secret && v.secret.secretName}`);
}
const redis = byKind("StatefulSet").find((s) => s.metadata.name === "redis");
if (redis) {
  const cmd = redis.spec.template.spec.containers[0].command || [];
  need(cmd.includes("--aclfile") && !cmd.includes("--requirepass"), "redis: must load the layer's ACL (--aclfile), no shared password");
}

// network policies (networking.k8s.io/v1)
const labelsOf = (w) => w.spec.template.metadata.labels || {};
const selects = (sel, labels) =>
  Object.entries(sel.matchLabels || {}).every(([k, v]) => labels[k] === v) &&
  (sel.matchExpressions || []).every((e) =>
    e.operator === "In" ? e.values.includes(labels[e.key]) :
    e.operator === "NotIn" ? !e.values.includes(labels[e.key]) :
    e.operator === "Exists" ? e.key in labels : !(e.key in labels));
const policies = byKind("NetworkPolicy").filter((p) => (p.spec.policyTypes || ["Ingress"]).includes("Ingress"));
const SERVICES = ["ceo", "risk-officer", "strategy-officer", "federation"];
for (const w of workloads) {
  const name = w.metadata.name;
  need(policies.some((p) => selects(p.spec.podSelector, labelsOf(w))), `${name}: no NetworkPolicy selects its pods (default deny)`);
  for (const p of policies.filter((q) => selects(q.spec.podSelector, labelsOf(w))))
    for (const rule of p.spec.ingress || []) {
      const ports = (rule.ports || []).map((x) => x.port);
      const where = `NetworkPolicy/${p.metadata.name} (${name})`;
      need(ports.length > 0, `${where}: a rule without ports opens every port`);
      if (!rule.from || rule.from.length === 0) {
        need(name === "federation" && ports.every((x) => x === "api" || x === 8000), `${where}: open to any source`);
        continue;
      }
      for (const f of rule.from) {
        if (ports.includes("redis") || ports.includes(6379))
          need((f.podSelector && !f.namespaceSelector &&
                SERVICES.some((s) => selects(f.podSelector, {"app.kubernetes.io/name": s})) &&
                !selects(f.podSelector, {"app.kubernetes.io/name": "other"})) ||
               (f.namespaceSelector && !f.podSelector &&
                (f.namespaceSelector.matchLabels || {})["orchestration/redis-client"] === "true"),
            `${where}: Redis open beyond the services and the labelled client namespaces`);
        if (ports.includes("admin") || ports.includes(9100))
          need(f.namespaceSelector && Object.keys(f.namespaceSelector.matchLabels || {}).length > 0,
            `${where}: the admin port from beyond the monitoring namespace`);
        need(!f.ipBlock, `${where}: an ipBlock source`);
      }
    }
}

if (problems.length) {
  for (const p of problems) console.error("FAIL: " + p);
  process.exit(1);
}
console.log(`validate.js: ${docs.length} objects valid`);
