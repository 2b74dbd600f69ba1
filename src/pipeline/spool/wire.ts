/**
 * The wire JSON of customers and segments, written in one place: what pass 1 spools is exactly the
 * request body's text, serialised once. Only the wire fields go out, in wire order, whatever else
 * the objects carry.
 */
import type { Segment } from '../../core/types.js';

/** `{"document_id":…,"segments":…}`, as JSON.stringify writes it; null segments stay null. */
export function customerJson(id: string, segments: readonly Segment[] | null): string {
  return JSON.stringify({ document_id: id, segments: segments === null ? null : segments.map(wire) });
}

export function segmentJson(segment: Segment): string {
  return JSON.stringify(wire(segment));
}

/**
 * A long-layout customer gathered from its records: the id already as a JSON string literal, and
 * each segment's JSON. Byte for byte what `customerJson` would write.
 */
export function gatheredCustomerJson(idJson: string, segmentJsons: readonly string[]): string {
  return `{"document_id":${idJson},"segments":[${segmentJsons.join(',')}]}`;
}

function wire({ type, value }: Segment): Segment {
  return { type, value };
}
