/**
 * Renders the kustomizations under k8s/ with `kubectl kustomize` (offline, no cluster needed) and
 * validates each object against the Kubernetes OpenAPI schemas shipped by kubernetes-models.
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Pod } from 'kubernetes-models/v1/Pod';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';

export const K8S_DIR = fileURLToPath(new URL('../../k8s', import.meta.url));

/** A rendered object, loosely typed: tests read it the way the API server would. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read fields of any kind by path; typing each kind would copy the API
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [key: string]: any };

/** kubectl ships in this project's machine image; elsewhere the rendering tests are skipped, loudly. */
export const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;

const rendered = new Map<string, Promise<K8sObject[]>>();

/** Rendered once per test file (kubectl takes ~0.5 s per kustomization); callers must not mutate the result. */
export function render(kustomization: string): Promise<K8sObject[]> {
  if (!rendered.has(kustomization)) rendered.set(kustomization, renderNow(kustomization));
  return rendered.get(kustomization)!;
}

async function renderNow(kustomization: string): Promise<K8sObject[]> {
  const { stdout } = await promisify(execFile)('kubectl', ['kustomize', path.join(K8S_DIR, kustomization)], { maxBuffer: 16 * 1024 * 1024 });
  return parseAllDocuments(stdout).map((doc) => doc.toJS() as K8sObject);
}

/** The YAML file as written in the repository, before kustomize. */
export async function readManifest(file: string): Promise<K8sObject> {
  return parseYaml(await readFile(path.join(K8S_DIR, file), 'utf8')) as K8sObject;
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'batch/v1/CronJob': CronJob,
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Pod': Pod,
  'v1/ServiceAccount': ServiceAccount,
};

/** Throws with the schema's message when the object is invalid, or when no model knows its kind. */
export function validateObject(object: K8sObject): void {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) throw new Error(`no kubernetes-models class registered for ${object.apiVersion} ${object.kind}`);
  new Model(object as never).validate();
}

export function findObject(objects: K8sObject[], kind: string, namePrefix: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name.startsWith(namePrefix));
  if (!found) throw new Error(`no ${kind} named ${namePrefix}* in the rendered output`);
  return found;
}

/** The object of that kind and exact name (CronJob names are prefixes of one another: segment-sync, segment-sync-full-resync). */
export function findNamed(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} named ${name} in the rendered output`);
  return found;
}
