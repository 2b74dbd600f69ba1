/**
 * The plan printed before anything is sent (and as the whole output of a dry run): per input, how
 * it was read; in all, what will be sent, where, and how long it should take. Building it is pure
 * but for reading the first spooled customers for the sample body.
 */
import type { FileFacts, TypeStat } from './input/index.js';
import { version } from '../config/version.js';
import { formatCount as count } from '../core/text.js';
import { targetOf } from '../config/run-options.js';
import { humanDuration } from './report/index.js';
import type { JobContext } from './context.js';
import { SAMPLE_CUSTOMERS, type Intake } from './validate-pass.js';
import type { StateFacts } from './incremental.js';

export interface PlanInput {
  path: string;
  layout: string;
  delimiter: string;
  encoding: string;
  idColumn: string;
  rows: number;
  segmentTypes: TypeStat[];
  ignoredColumns: string[];
}

export interface Plan {
  version: string;
  /** Undefined for a dry run. */
  target?: { endpoint: string; env?: string };
  inputs: PlanInput[];
  rows: number;
  customers: number;
  duplicates: number;
  invalid: number;
  invalidReasons: [string, number][];
  toClear: number;
  repeatedHeaders: number;
  /** full, diff or mirror. */
  mode: string;
  /** diff/mirror: the state consulted, and what it set aside (unchanged) or added (clears). */
  state?: StateFacts;
  /** Customers to send: the valid ones, less the unchanged, plus mirror's clears. */
  toSend: number;
  /** At least this many requests (the byte cap may close batches earlier). */
  requests: number;
  /** At --rate; undefined when unlimited. */
  estimatedSeconds?: number;
  sampleBody?: string;
}

export async function buildPlan(ctx: JobContext, intake: Intake, state?: StateFacts): Promise<Plan> {
  const { config } = ctx;
  const { counts } = intake;
  const toSend = counts.customers - (state?.unchanged ?? 0) + (state?.clears ?? 0);
  const requests = Math.ceil(toSend / config.batchSize);
  const target = config.dryRun ? undefined : targetOf(config);
  return {
    version: version(),
    ...(target && { target }),
    inputs: intake.facts.map(planInput),
    rows: counts.rows,
    customers: counts.customers,
    duplicates: counts.duplicates,
    invalid: counts.invalid,
    invalidReasons: intake.invalidReasons.slice(0, 3),
    toClear: counts.toClear,
    repeatedHeaders: counts.repeatedHeaders,
    mode: config.mode,
    ...(state && { state }),
    toSend,
    requests,
    ...(config.rate > 0 ? { estimatedSeconds: Math.ceil(requests / config.rate) } : {}),
    sampleBody: await sampleBody(intake),
  };
}

function planInput(f: FileFacts): PlanInput {
  return {
    path: f.path,
    layout: f.layout,
    delimiter: f.delimiter,
    encoding: f.encoding,
    idColumn: f.idColumn,
    rows: f.rows,
    segmentTypes: f.typeStats,
    ignoredColumns: f.ignoredColumns,
  };
}

async function sampleBody(intake: Intake): Promise<string | undefined> {
  const { ledger } = intake;
  for await (const customers of intake.spool.customers((ordinal) => ledger.isSpoiled(ordinal) || !ledger.isPending(ordinal))) {
    return `{"customers":[${customers
      .slice(0, SAMPLE_CUSTOMERS)
      .map((c) => c.json)
      .join(',')}]}`;
  }
  return undefined;
}

/** The plan as a person reads it. */
export function formatPlan(plan: Plan): string {
  const lines: string[] = [`plan (segment-sync ${plan.version})`];
  for (const input of plan.inputs) {
    lines.push(
      `  input     ${input.path}: ${input.layout}, delimiter ${JSON.stringify(input.delimiter)}, ${input.encoding}, id column ${input.idColumn}, ${count(input.rows)} rows`,
    );
    const types = input.segmentTypes.map(describeType).join('; ');
    lines.push(`  segments  ${types || '(none)'}`);
    if (input.ignoredColumns.length > 0) lines.push(`  ignored   ${input.ignoredColumns.join(', ')}`);
  }
  const reasons = plan.invalidReasons.map(([reason, n]) => `${reason}: ${count(n)}`).join('; ');
  lines.push(
    `  rows      ${count(plan.rows)}: ${count(plan.customers)} customers, ${count(plan.duplicates)} duplicates, ${count(plan.invalid)} invalid${reasons ? ` (${reasons})` : ''}`,
  );
  if (plan.repeatedHeaders > 0) lines.push(`  skipped   ${plural(plan.repeatedHeaders, 'repeated header line')}`);
  if (plan.state) lines.push(`  state     ${describeState(plan.mode, plan.state)}`);
  lines.push(
    `  clears    ${plural(plan.toClear, 'customer')} would have all their segments removed${plan.state?.clears ? ` (${count(plan.state.clears)} gone from the input)` : ''}`,
  );
  if (plan.sampleBody) lines.push(`  sample    ${plan.sampleBody.length > 400 ? `${plan.sampleBody.slice(0, 400)}…` : plan.sampleBody}`);
  const duration = plan.estimatedSeconds === undefined ? 'no rate limit' : `about ${humanDuration(plan.estimatedSeconds * 1000)} at --rate`;
  const target = plan.target ? `${plan.target.endpoint}${plan.target.env ? ` (${plan.target.env})` : ''}` : 'nowhere (dry run)';
  if (plan.toSend === 0 && (plan.state?.unchanged ?? 0) > 0) lines.push(`  send      nothing: every customer is unchanged (${target})`);
  else lines.push(`  send      ${plural(plan.toSend, 'customer')} in ${plural(plan.requests, 'request')} to ${target}, ${duration}`);
  return lines.join('\n');
}

function describeState(mode: string, state: StateFacts): string {
  if (state.fresh) return `--mode ${mode}: no usable state yet (${state.file}): every customer is sent, none cleared`;
  return `--mode ${mode}: ${count(state.tracked)} customers tracked in ${state.file}; ${count(state.unchanged)} unchanged, not sent`;
}

function describeType(s: TypeStat): string {
  if (s.distinct === 0) return s.type;
  const top = s.top.map(([value, n]) => `${value} ${count(n)}`).join(', ');
  return `${s.type} (${s.distinctCapped ? 'more than ' : ''}${count(s.distinct)} values${top ? `: ${top}` : ''})`;
}

function plural(n: number, noun: string): string {
  return `${count(n)} ${noun}${n === 1 ? '' : 's'}`;
}

/** Logs the plan: one structured record in JSON logs, a readable block on a terminal. */
export function logPlan(ctx: JobContext, plan: Plan): void {
  const { config, log } = ctx;
  const json = config.logFormat === 'json' || (config.logFormat === 'auto' && !process.stdout.isTTY);
  if (json) log.info('plan', planFields(plan));
  else log.info(`\n${formatPlan(plan)}`);
}

/** The plan as log fields: the most common values as text, so no field is nested too deep to log. */
function planFields(plan: Plan): Record<string, unknown> {
  const inputs = plan.inputs.map((input) => ({
    ...input,
    segmentTypes: input.segmentTypes.map((s) => ({
      type: s.type,
      distinct: s.distinct,
      ...(s.distinctCapped && { distinctCapped: true }),
      top: s.top.map(([value, n]) => `${value} (${n})`),
    })),
  }));
  return { ...plan, inputs, invalidReasons: plan.invalidReasons.map(([reason, n]) => `${reason} (${n})`) };
}
