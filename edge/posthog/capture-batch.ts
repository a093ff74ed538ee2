import { ApiError } from '@strix/http';

/** One capture request as PostHog SDKs send it, whatever its shape. */
export interface CaptureBatch {
  /** The project API key (a Strix client key), if the body names one. */
  key: string | undefined;
  /** When the client sent the request (epoch ms), to correct event times for its clock. */
  sentAt: number | undefined;
  events: unknown[];
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

/** An event's own key: `api_key`, `token` or `$token` beside it, or `token` in its properties (posthog-js). */
function keyOfEvent(event: unknown): string | undefined {
  if (!isObject(event)) return undefined;
  const properties = isObject(event.properties) ? event.properties : {};
  return text(event.api_key) ?? text(event.token) ?? text(event.$token) ?? text(properties.token);
}

/** A time as PostHog clients write `sent_at` and `_`: ISO 8601, or epoch milliseconds as a number or digits. */
export function parseClientTime(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const ms = /^\d+$/.test(value.trim()) ? Number(value) : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

const shapes = 'expected an event, a list of events or {"api_key": …, "batch": [events]}';

/**
 * The events and key of a capture body. Every endpoint takes every shape, as PostHog's own
 * capture does: `{api_key, batch: [...], sent_at}` (posthog-node, posthog-js), a list of events, or
 * one event. One request is one project: events naming another key than the request's are refused
 * as a whole (a 400), never stored under the wrong project.
 */
export function readCaptureBatch(body: unknown, query: { sent_at?: string | undefined; _?: string | undefined }): CaptureBatch {
  if (body === undefined) throw new ApiError('bad_request', `request body is empty; ${shapes}`);
  let events: unknown[];
  let key: string | undefined;
  let sentAt: unknown;
  if (Array.isArray(body)) {
    events = body;
  } else if (isObject(body) && body.batch !== undefined) {
    if (!Array.isArray(body.batch)) throw new ApiError('bad_request', 'body field batch: must be a list of events');
    events = body.batch;
    key = text(body.api_key) ?? text(body.token);
    sentAt = body.sent_at;
  } else if (isObject(body)) {
    events = [body];
    sentAt = body.sent_at;
  } else {
    throw new ApiError('bad_request', `request body: ${shapes}`);
  }
  if (events.length === 0) throw new ApiError('bad_request', 'body field batch: must contain at least one event');

  for (const [index, event] of events.entries()) {
    const own = keyOfEvent(event);
    if (own === undefined) continue;
    if (key === undefined) key = own;
    else if (own !== key) throw new ApiError('bad_request', `batch[${index}]: names another API key than the request; send one project's events per request`);
  }
  return { key, sentAt: parseClientTime(sentAt) ?? parseClientTime(query.sent_at) ?? parseClientTime(query._), events };
}
