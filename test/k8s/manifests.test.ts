import { beforeAll, describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { DEFAULTS } from '../../src/config/defaults.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { findNamed, findObject, hasKubectl, readManifest, render, validateObject, type K8sObject } from './kustomize.js';

if (!hasKubectl) console.warn('kubectl not found: the rendered-overlay tests are SKIPPED; only k8s/base/cronjob.yaml is checked');
const describeRendered = hasKubectl ? describe : describe.skip;

const CONTAINER = 'segment-sync';
const TOKEN_DIR = '/var/run/secrets/segment-sync';
const CONFIG_FILE = '/etc/segment-sync/config.yaml';
const NIGHTLY = 'segment-sync';
const FULL_RESYNC = 'segment-sync-full-resync';
const FULL_RESYNC_FLAG = '--full-resync';
/** The only writable paths under readOnlyRootFilesystem. */
const WRITABLE_MOUNTS = ['/data', '/tmp'];

const ascending = (...codes: number[]): number[] => [...codes].sort((a, b) => a - b);

/** The Job spec, pod spec and job container of a CronJob: where most assertions look. */
function partsOf(cronJob: K8sObject) {
  const jobSpec = cronJob.spec.jobTemplate.spec;
  const podSpec = jobSpec.template.spec;
  const container = podSpec.containers.find((c: { name: string }) => c.name === CONTAINER);
  return { jobSpec, podSpec, container };
}

function exitCodesOf(jobSpec: K8sObject['spec'], action: string): number[] {
  return jobSpec.podFailurePolicy.rules.filter((r: { action: string }) => r.action === action).flatMap((r: { onExitCodes: { values: number[] } }) => r.onExitCodes.values);
}

/** The exit-code rules are derived from src/core/exit-codes.ts: any drift, or a new exit code without a decision, fails here. */
function expectExitCodePolicy(jobSpec: K8sObject['spec']): void {
  const rules = jobSpec.podFailurePolicy.rules;
  expect(rules[0]).toEqual({ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] });
  // The API requires each rule's values in ascending order.
  expect(exitCodesOf(jobSpec, 'FailJob')).toEqual(
    ascending(
      ExitCode.Usage,
      ExitCode.InputRejected,
      ExitCode.AuthRejected,
      ExitCode.NotFoundGuard,
      ExitCode.EndpointRejectsRequests,
      ExitCode.CustomersRejected,
      ExitCode.LocalStorage,
    ),
  );
  expect(exitCodesOf(jobSpec, 'Count')).toEqual(ascending(ExitCode.PartialFailure, ExitCode.HungUp, ExitCode.Interrupted, ExitCode.Terminated));
  const decided = rules.flatMap((r: { onExitCodes?: { values: number[] } }) => r.onExitCodes?.values ?? []);
  expect(ascending(...decided)).toEqual(ascending(...Object.values(ExitCode).filter((code) => code !== ExitCode.Ok)));
  for (const rule of rules.filter((r: { onExitCodes?: unknown }) => r.onExitCodes)) {
    expect(rule.onExitCodes).toMatchObject({ containerName: CONTAINER, operator: 'In' });
  }
}

const QUANTITY_UNITS: Record<string, number> = { '': 1, m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };

/** Bytes or cores, from a Kubernetes quantity such as 384Mi, 1Gi, 250m or 1. */
function quantity(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?$/.exec(String(text));
  if (!match) throw new Error(`unsupported quantity ${text}`);
  return Number(match[1]) * QUANTITY_UNITS[match[2] ?? '']!;
}

function expectRestricted(podSpec: K8sObject['spec'], container: K8sObject['spec']): void {
  expect(podSpec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
  expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  expect(container.securityContext.privileged ?? false).toBe(false);
  expect(podSpec.automountServiceAccountToken).toBe(false);
}

/** The nightly's args with --full-resync right after `run --config <file>`: what the weekly CronJob runs. */
function withFullResync(args: readonly string[]): string[] {
  return [...args.slice(0, 3), FULL_RESYNC_FLAG, ...args.slice(3)];
}

const MINUTES_PER_DAY = 24 * 60;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

/**
 * The minutes of the week (from Sunday 00:00) at which a schedule of the form `M H * * *` or
 * `M H * * D` starts a Job: the only forms these manifests use (anything else fails here, on purpose).
 */
function startsInWeek(schedule: string): number[] {
  const match = /^(\d{1,2}) (\d{1,2}) \* \* (\*|[0-6])$/.exec(schedule);
  if (!match) throw new Error(`schedule ${schedule}: only "M H * * *" and "M H * * D" are understood here`);
  const at = Number(match[2]) * 60 + Number(match[1]);
  const days = match[3] === '*' ? [0, 1, 2, 3, 4, 5, 6] : [Number(match[3])];
  return days.map((day) => day * MINUTES_PER_DAY + at);
}

/**
 * The longest a Job of this CronJob can hold the state dir, in minutes: started up to
 * startingDeadlineSeconds late, stopped at activeDeadlineSeconds (retries included), then given
 * terminationGracePeriodSeconds before the SIGKILL.
 */
function longestRunMinutes(cronJob: K8sObject): number {
  const { jobSpec, podSpec } = partsOf(cronJob);
  return Math.ceil((cronJob.spec.startingDeadlineSeconds + jobSpec.activeDeadlineSeconds + podSpec.terminationGracePeriodSeconds) / 60);
}

/** Whether [a, a + aLength) and [b, b + bLength) meet on the weekly clock (a week wraps around). */
function meetInWeek(a: number, aLength: number, b: number, bLength: number): boolean {
  return [-MINUTES_PER_WEEK, 0, MINUTES_PER_WEEK].some((shift) => a < b + shift + bLength && b + shift < a + aLength);
}

describe('k8s/base/cronjob.yaml as written (runs without kubectl)', () => {
  it('builds its podFailurePolicy from the CLI exit codes', async () => {
    expectExitCodePolicy(partsOf(await readManifest('base/cronjob.yaml')).jobSpec);
  });

  it('turns off service links, whose SEGMENT_SYNC_SERVICE_* variables the CLI would read as options', async () => {
    expect(partsOf(await readManifest('base/cronjob.yaml')).podSpec.enableServiceLinks).toBe(false);
    expect((await readManifest('tools/toolbox.yaml')).spec.enableServiceLinks).toBe(false);
  });

  it('k8s/base/cronjob-full-resync.yaml, the weekly full resync, has the same podFailurePolicy and runs with --full-resync', async () => {
    const fullResync = await readManifest('base/cronjob-full-resync.yaml');
    expect(fullResync.metadata.name).toBe(FULL_RESYNC);
    expectExitCodePolicy(partsOf(fullResync).jobSpec);
    const nightly = partsOf(await readManifest('base/cronjob.yaml'));
    expect(partsOf(fullResync).container.args).toEqual(withFullResync(nightly.container.args));
  });

  it('sets mode: diff in config.yaml (the incremental sync)', async () => {
    const config = (await readManifest('base/config.yaml')) as unknown as { mode?: string };
    expect(config.mode).toBe('diff');
  });

  it('gives the pod longer to stop than the --grace set in config.yaml', async () => {
    const { podSpec } = partsOf(await readManifest('base/cronjob.yaml'));
    const config = (await readManifest('base/config.yaml')) as unknown as { grace?: number };
    expect(podSpec.terminationGracePeriodSeconds).toBeGreaterThan(config.grace ?? DEFAULTS.grace);
  });
});

describeRendered.each(['base', 'overlays/staging', 'overlays/production', 'overlays/sharded', 'tools'])('kubectl kustomize k8s/%s', (kustomization) => {
  it('renders only objects that pass the Kubernetes schema, and no Secret', async () => {
    const objects = await render(kustomization);

    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) expect(() => validateObject(object)).not.toThrow();
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });
});

const OVERLAYS = [
  { overlay: 'staging', env: 'staging', namespace: 'segment-sync-staging', instance: 'staging' },
  { overlay: 'production', env: 'production', namespace: 'segment-sync-production', instance: 'production' },
  { overlay: 'sharded', env: 'production', namespace: 'segment-sync-production', instance: 'production-sharded' },
];

describeRendered.each(OVERLAYS)('overlay $overlay', ({ overlay, env, namespace, instance }) => {
  let objects: K8sObject[];
  let cronJob: K8sObject;
  let parts: ReturnType<typeof partsOf>;
  let envConfig: Record<string, string>;
  let fileConfig: Record<string, unknown>;
  beforeAll(async () => {
    objects = await render(`overlays/${overlay}`);
    cronJob = findNamed(objects, 'CronJob', NIGHTLY);
    parts = partsOf(cronJob);
    envConfig = findObject(objects, 'ConfigMap', 'segment-sync-env-').data;
    fileConfig = parseYaml(findObject(objects, 'ConfigMap', 'segment-sync-config-').data['config.yaml']);
  });

  const volumeNamed = (name: string) => parts.podSpec.volumes.find((v: { name: string }) => v.name === name);
  const mountAt = (mountPath: string) => parts.container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === mountPath);

  it('labels every object as segment-sync in its namespace', () => {
    for (const object of objects) {
      expect(object.metadata.namespace).toBe(namespace);
      expect(object.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'segment-sync', 'app.kubernetes.io/instance': instance });
    }
    expect(parts.jobSpec.template.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'segment-sync' });
  });

  it(`presets the ${env} environment through the segment-sync-env ConfigMap`, () => {
    expect(envConfig.SEGMENT_SYNC_ENV).toBe(env);
    expect(parts.container.envFrom).toEqual([{ configMapRef: { name: findObject(objects, 'ConfigMap', 'segment-sync-env-').metadata.name } }]);
  });

  it('never starts a run while another runs, in a declared time zone, and skips starts missed by too much', () => {
    expect(cronJob.spec).toMatchObject({ concurrencyPolicy: 'Forbid', timeZone: expect.any(String) });
    expect(cronJob.spec.schedule.split(' ')).toHaveLength(5);
    expect(cronJob.spec.startingDeadlineSeconds).toBeGreaterThan(0);
    expect(cronJob.spec.successfulJobsHistoryLimit).toBeGreaterThan(0);
    expect(cronJob.spec.failedJobsHistoryLimit).toBeGreaterThan(0);
  });

  it('fails the Job at once on usage, input, auth and not-found-guard errors and retries partial or interrupted runs', () => {
    expectExitCodePolicy(parts.jobSpec);
  });

  it('injects no service-link variables into the pod (a Service named segment-sync would set SEGMENT_SYNC_SERVICE_HOST)', () => {
    expect(parts.podSpec.enableServiceLinks).toBe(false);
  });

  it('bounds the Job: retries, total run time, cleanup, and pods that are never restarted in place', () => {
    expect(parts.jobSpec.backoffLimit).toBeGreaterThan(0);
    expect(parts.jobSpec.activeDeadlineSeconds).toBeGreaterThan(0);
    expect(parts.jobSpec.ttlSecondsAfterFinished).toBeGreaterThan(0);
    expect(parts.podSpec.restartPolicy).toBe('Never');
  });

  it('gives the pod longer to stop than the job takes to drain after SIGTERM (--grace)', () => {
    const grace = Number(envConfig.SEGMENT_SYNC_GRACE ?? fileConfig.grace ?? DEFAULTS.grace);
    expect(parts.podSpec.terminationGracePeriodSeconds).toBeGreaterThan(grace);
  });

  it('runs restricted: non-root, no privilege escalation, no capabilities, RuntimeDefault seccomp, read-only root', () => {
    expectRestricted(parts.podSpec, parts.container);
    const account = findObject(objects, 'ServiceAccount', parts.podSpec.serviceAccountName);
    expect(account.automountServiceAccountToken).toBe(false);
  });

  it('mounts the token Secret as an owner-only file that config.yaml points at, and never as an env var', () => {
    expect(volumeNamed('token').secret).toEqual({ secretName: 'segment-sync-token', items: [{ key: 'token', path: 'token' }], defaultMode: 0o400 });
    expect(mountAt(TOKEN_DIR)).toMatchObject({ name: 'token', readOnly: true });
    expect(mountAt(TOKEN_DIR).subPath).toBeUndefined();
    expect(fileConfig['token-file']).toBe(`${TOKEN_DIR}/token`);
    const fromSecrets = JSON.stringify([parts.container.env, parts.container.envFrom]);
    expect(fromSecrets).not.toMatch(/secretKeyRef|secretRef/);
  });

  it('passes config.yaml with --config and logs JSON lines', () => {
    expect(parts.container.args.slice(0, 3)).toEqual(['run', '--config', CONFIG_FILE]);
    expect(volumeNamed('config').configMap.name).toBe(findObject(objects, 'ConfigMap', 'segment-sync-config-').metadata.name);
    expect(mountAt('/etc/segment-sync')).toMatchObject({ name: 'config', readOnly: true });
    expect(fileConfig['log-format']).toBe('json');
  });

  it('reads its input from the read-only inbox and writes only to the data volume and /tmp', () => {
    expect(parts.container.args.at(-1)).toMatch(/^\/inbox\/[^/]+\.csv$/);
    expect(mountAt('/inbox')).toMatchObject({ readOnly: true });
    expect(volumeNamed(mountAt('/inbox').name).persistentVolumeClaim).toEqual({ claimName: 'segment-sync-inbox', readOnly: true });
    expect(volumeNamed(mountAt('/data').name).persistentVolumeClaim.claimName).toBe('segment-sync-data');
    expect(volumeNamed(mountAt('/tmp').name).emptyDir).toBeDefined();
    const writable = parts.container.volumeMounts.filter((m: { readOnly?: boolean }) => !m.readOnly).map((m: { mountPath: string }) => m.mountPath);
    expect(writable.sort()).toEqual(WRITABLE_MOUNTS);
    expect(String(fileConfig['state-dir'])).toMatch(/^\/data\//);
    expect(parts.container.workingDir).toBe('/data');
    expect(parts.container.env).toContainEqual({ name: 'TMPDIR', value: '/tmp' });
  });

  it('requests and limits cpu and memory, with requests within limits', () => {
    const { requests, limits } = parts.container.resources;
    for (const resource of ['cpu', 'memory']) {
      expect(quantity(requests[resource])).toBeGreaterThan(0);
      expect(quantity(requests[resource])).toBeLessThanOrEqual(quantity(limits[resource]));
    }
  });

  it('runs a pinned segment-sync image set through kustomize images', () => {
    expect(parts.container.image).toMatch(/(^|\/)segment-sync:[\w][\w.-]*$/);
    expect(parts.container.image).not.toMatch(/:latest$/);
  });
});

describeRendered.each(OVERLAYS)('overlay $overlay: the weekly full resync', ({ overlay }) => {
  let objects: K8sObject[];
  let nightly: K8sObject;
  let fullResync: K8sObject;
  beforeAll(async () => {
    objects = await render(`overlays/${overlay}`);
    nightly = findNamed(objects, 'CronJob', NIGHTLY);
    fullResync = findNamed(objects, 'CronJob', FULL_RESYNC);
  });

  it('deploys exactly two CronJobs: the nightly and the weekly full resync, both valid', () => {
    expect(objects.filter((o) => o.kind === 'CronJob').map((o) => o.metadata.name).sort()).toEqual([NIGHTLY, FULL_RESYNC]);
    expect(() => validateObject(fullResync)).not.toThrow();
  });

  it('runs the nightly job (same pod, config, state dir and Job policy) with --full-resync added', () => {
    const nightlyParts = partsOf(nightly);
    const { container } = partsOf(fullResync);
    expect(nightlyParts.container.args).not.toContain(FULL_RESYNC_FLAG);
    expect(container.args).toEqual(withFullResync(nightlyParts.container.args));
    const sameJob = structuredClone(fullResync.spec.jobTemplate);
    partsOf({ ...fullResync, spec: { jobTemplate: sameJob } } as K8sObject).container.args = nightlyParts.container.args;
    expect(sameJob).toEqual(nightly.spec.jobTemplate);
  });

  it('keeps the podFailurePolicy built from the exit codes', () => {
    expectExitCodePolicy(partsOf(fullResync).jobSpec);
  });

  it('runs once a week, never two at once, in the nightly time zone, and skips starts missed by too much', () => {
    expect(fullResync.spec).toMatchObject({ concurrencyPolicy: 'Forbid', timeZone: nightly.spec.timeZone });
    expect(startsInWeek(fullResync.spec.schedule)).toHaveLength(1);
    expect(fullResync.spec.startingDeadlineSeconds).toBeGreaterThan(0);
    expect(fullResync.spec.successfulJobsHistoryLimit).toBeGreaterThan(0);
    expect(fullResync.spec.failedJobsHistoryLimit).toBeGreaterThan(0);
  });

  it('is scheduled so that it can never run while the nightly does (they share the state dir)', () => {
    // concurrencyPolicy only keeps a CronJob from overlapping itself; the state-dir lock would turn
    // the later run away (exit 2, the Job fails). The slots must keep them apart even when both
    // start as late and run as long as their Job specs allow.
    const [weekly] = startsInWeek(fullResync.spec.schedule);
    const nightlyStarts = startsInWeek(nightly.spec.schedule);
    expect(nightlyStarts).toHaveLength(7);
    const nightlyLength = longestRunMinutes(nightly);
    expect(nightlyLength).toBeLessThan(MINUTES_PER_DAY);
    for (const start of nightlyStarts) expect(meetInWeek(start, nightlyLength, weekly!, longestRunMinutes(fullResync))).toBe(false);
  });
});

describeRendered.each(['staging', 'production'])('overlay %s: state storage', (overlay) => {
  it('keeps the state (SQLite with its WAL) on a ReadWriteOnce volume: one node, one writer', async () => {
    const objects = await render(`overlays/${overlay}`);
    expect(findNamed(objects, 'PersistentVolumeClaim', 'segment-sync-data').spec.accessModes).toEqual(['ReadWriteOnce']);
    const stateDir = String(parseYaml(findObject(objects, 'ConfigMap', 'segment-sync-config-').data['config.yaml'])['state-dir']);
    for (const name of [NIGHTLY, FULL_RESYNC]) {
      const { container, podSpec } = partsOf(findNamed(objects, 'CronJob', name));
      // Both CronJobs take the state dir from config.yaml, on the data claim.
      expect(container.args).not.toContain('--state-dir');
      expect(stateDir.startsWith(`${container.volumeMounts.find((m: { name: string }) => m.name === 'data').mountPath}/`)).toBe(true);
      expect(podSpec.volumes.find((v: { name: string }) => v.name === 'data').persistentVolumeClaim.claimName).toBe('segment-sync-data');
    }
  });
});

describe('the schedule overlap check itself', () => {
  it('sees a weekly run that starts while the nightly can still be running, including across Saturday midnight', () => {
    expect(meetInWeek(startsInWeek('0 3 * * *')[0]!, 9 * 60, startsInWeek('0 11 * * 0')[0]!, 60)).toBe(true);
    expect(meetInWeek(startsInWeek('0 3 * * *')[0]!, 9 * 60, startsInWeek('0 13 * * 0')[0]!, 9 * 60)).toBe(false);
    expect(meetInWeek(startsInWeek('0 1 * * *')[0]!, 60, startsInWeek('0 20 * * 6')[0]!, 6 * 60)).toBe(true);
    expect(() => startsInWeek('*/5 * * * *')).toThrow();
  });
});

describeRendered('overlay sharded, as an Indexed Job', () => {
  let objects: K8sObject[];
  let parts: ReturnType<typeof partsOf>;
  beforeAll(async () => {
    objects = await render('overlays/sharded');
    parts = partsOf(findNamed(objects, 'CronJob', NIGHTLY));
  });

  const argAfter = (flag: string): string => parts.container.args[parts.container.args.indexOf(flag) + 1];

  it('runs each night as an Indexed Job with one pod per shard, all at once', () => {
    const shardCount = Number(argAfter('--shard-count'));
    expect(shardCount).toBeGreaterThan(1);
    expect(parts.jobSpec).toMatchObject({ completionMode: 'Indexed', completions: shardCount, parallelism: shardCount });
  });

  it('gives every shard its own state dir and report dir, named from the completion index', () => {
    expect(argAfter('--state-dir')).toContain('$(JOB_COMPLETION_INDEX)');
    expect(argAfter('--report-dir')).toContain('$(JOB_COMPLETION_INDEX)');
  });

  it('only references variables that the container defines or the Job controller adds', () => {
    const referenced = parts.container.args.flatMap((arg: string) => [...arg.matchAll(/\$\((\w+)\)/g)].map((m) => m[1]));
    const defined = ['JOB_COMPLETION_INDEX', ...parts.container.env.map((e: { name: string }) => e.name)];
    expect(referenced.length).toBeGreaterThan(0);
    for (const name of referenced) expect(defined).toContain(name);
  });

  it('shares the data volume across nodes', () => {
    expect(findObject(objects, 'PersistentVolumeClaim', 'segment-sync-data').spec.accessModes).toEqual(['ReadWriteMany']);
  });

  it('shards the weekly full resync the same way, on the same per-shard state dirs', () => {
    const fullResync = partsOf(findNamed(objects, 'CronJob', FULL_RESYNC));
    expect(fullResync.container.args).toEqual(withFullResync(parts.container.args));
    expect(fullResync.jobSpec).toMatchObject({ completionMode: 'Indexed', completions: parts.jobSpec.completions, parallelism: parts.jobSpec.parallelism });
  });

  it('opens each shard database from one pod at a time: a replacement pod waits for its predecessor to terminate', () => {
    // With a podFailurePolicy the Job controller only creates a replacement once the failed pod has
    // fully terminated (podReplacementPolicy Failed, the only value it allows), so a retried shard
    // never has its database open twice; the shard's state dir (and the shard in the state file
    // name) keeps the shards apart.
    for (const name of [NIGHTLY, FULL_RESYNC]) {
      const { jobSpec } = partsOf(findNamed(objects, 'CronJob', name));
      expect(jobSpec.podFailurePolicy).toBeDefined();
      expect(jobSpec.podReplacementPolicy ?? 'Failed').toBe('Failed');
    }
  });
});

describeRendered('toolbox (k8s/tools)', () => {
  it('runs the same image and claims as the job, restricted, and ends itself', async () => {
    const [toolbox] = (await render('tools')).filter((o) => o.kind === 'Pod');
    const { container } = partsOf(findNamed(await render('overlays/production'), 'CronJob', NIGHTLY));
    const [tool] = toolbox!.spec.containers;

    expect(tool.image).toBe(container.image);
    expectRestricted(toolbox!.spec, tool);
    expect(toolbox!.spec.activeDeadlineSeconds).toBeGreaterThan(0);
    expect(toolbox!.spec.enableServiceLinks).toBe(false);
    const claims = toolbox!.spec.volumes.filter((v: K8sObject) => v.persistentVolumeClaim).map((v: K8sObject) => v.persistentVolumeClaim.claimName);
    expect(claims.sort()).toEqual(['segment-sync-data', 'segment-sync-inbox']);
  });
});
