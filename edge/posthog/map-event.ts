/**
 * One PostHog event as a Strix item: a product event (the shape of `POST /v1/track:batch`) or, for
 * `$exception`, an error event (the shape of `POST /v1/ingest`). The item is then validated exactly
 * as those endpoints validate theirs (validate-capture.ts), so every Strix limit applies unchanged.
 *
 * | PostHog                                          | Strix                                          |
 * |--------------------------------------------------|------------------------------------------------|
 * | `event`                                          | `name` (`$exception`: an error event)          |
 * | `distinct_id` (or `properties.distinct_id`)      | `user_id`                                      |
 * | `uuid`                                           | `client_event_id` (a redelivery is stored once)|
 * | `timestamp`, `offset`, `sent_at`                 | the event's time, corrected for the client's clock |
 * | `properties.$session_id`                         | `session_id`                                   |
 * | `$screen_name`, `$pathname`, `$current_url`      | `path` (a `$pageview`'s section)              |
 * | `$app_version`, `$app_build`, `$os_version`, `$device_model`, `$locale` | the context fields of those names |
 * | `$set`, `$set_once` (top level or in properties) | user properties `$set`, `$set_once`            |
 * | the app's own properties                         | `props` (objects and lists as JSON text)       |
 * | PostHog's `$` properties in `keptProperties`     | `props`, under the same names                  |
 *
 * Every other `$` property is PostHog's bookkeeping and is dropped: `$ip` (an address is never
 * stored), `$device_id`, `$window_id`, `$insert_id`, `$time`, `$geoip_*`, `$initial_*`,
 * `$process_person_profile`, `$is_server`, `$exception_list` (it becomes the error itself: map-exception.ts)…
 * PostHog's own person properties (`$`-named keys of `$set`/`$set_once`, such as `$initial_referrer`)
 * are dropped too: a user has at most 50 property keys, and they would use them up.
 */
import { IngestLimits } from '@strix/contracts';
import { z } from 'zod';
import { exceptionOf, fingerprintOf } from './map-exception.ts';

const L = IngestLimits;

/** An event nobody reads as an event: session replay chunks and heatmap samples (their products are not Strix's). */
export const droppedEvents: ReadonlySet<string> = new Set(['$snapshot', '$snapshot_items', '$$heatmap']);

/** PostHog properties kept in `props`, as PostHog names them: what the page, device and SDK were, and what each special event is about. */
export const keptProperties: ReadonlySet<string> = new Set([
  '$current_url',
  '$pathname',
  '$host',
  '$referrer',
  '$referring_domain',
  '$screen_name',
  '$os',
  '$browser',
  '$browser_version',
  '$device_type',
  '$lib',
  '$lib_version',
  // $identify and $create_alias: the anonymous id the user had before.
  '$anon_distinct_id',
  // $groupidentify, and the groups any event belongs to.
  '$group_type',
  '$group_key',
  '$group_set',
  '$groups',
  // $feature_flag_called.
  '$feature_flag',
  '$feature_flag_response',
  // $autocapture, $rageclick: what was clicked.
  '$event_type',
  '$el_text',
  '$elements_chain',
  // $exception: the level the SDK gave it (the event itself is always an error).
  '$exception_level',
]);

/** Properties that only carry what the event already says elsewhere. */
const envelopeProperties: ReadonlySet<string> = new Set(['token', 'distinct_id']);

/** URLs keep no query or fragment: they carry OAuth codes, tokens and reset links. */
const urlProperties: ReadonlySet<string> = new Set(['$current_url', '$referrer']);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A text field from a string or a number; undefined for anything else or an empty string. */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

const clip = (value: string, max: number) => (value.length > max ? value.slice(0, max) : value);
const withoutQuery = (url: string) => url.replace(/[?#].*$/s, '');

type PropValue = string | number | boolean | null;

/** A value as an attribute: scalars as they are, objects and lists as JSON text. */
function attributeOf(value: unknown): PropValue | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  return JSON.stringify(value);
}

/**
 * The event's props. The app's own properties keep their values (a Strix limit refuses the event,
 * naming the property, as `/v1/track:batch` would); PostHog's kept ones are the SDK's doing, not
 * the app's, so an over-long one is cut to the limit instead.
 */
function propsOf(properties: Record<string, unknown>): Record<string, PropValue> | undefined {
  const props: Record<string, PropValue> = {};
  for (const [key, raw] of Object.entries(properties)) {
    if (envelopeProperties.has(key)) continue;
    let value = attributeOf(raw);
    if (value === undefined) continue;
    if (key.startsWith('$')) {
      if (!keptProperties.has(key)) continue;
      if (typeof value === 'string') value = clip(urlProperties.has(key) ? withoutQuery(value) : value, L.maxAttributeValueChars);
    }
    props[key] = value;
  }
  return Object.keys(props).length > 0 ? props : undefined;
}

/** `$set` or `$set_once` from the properties and the event's top level (which wins), without PostHog's own person properties. */
function userPropertiesOf(...sources: unknown[]): Record<string, string | number | boolean> | undefined {
  const out: Record<string, string | number | boolean> = {};
  for (const source of sources) {
    if (!isObject(source)) continue;
    for (const [key, raw] of Object.entries(source)) {
      if (key.startsWith('$')) continue;
      const value = attributeOf(raw);
      if (value !== undefined && value !== null) out[key] = value;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The page or screen an event happened on: the screen's name, the path, else the URL's path. */
function pathOf(properties: Record<string, unknown>): string | undefined {
  const screen = textOf(properties.$screen_name) ?? textOf(properties.$pathname);
  if (screen !== undefined) return screen;
  const url = textOf(properties.$current_url);
  if (url === undefined) return undefined;
  const path = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/i.exec(url)?.[1];
  return path === undefined ? withoutQuery(url) : path || '/';
}

/** The fields of a PostHog event this mapping reads; anything else is ignored, as PostHog ignores it. */
export const PostHogEvent = z.object({
  event: z.string({ message: 'is required' }).min(1, { message: 'is required' }),
  distinct_id: z.union([z.string(), z.number()], { message: 'must be a string' }).optional(),
  $distinct_id: z.union([z.string(), z.number()], { message: 'must be a string' }).optional(),
  properties: z.record(z.string(), z.unknown(), { message: 'must be an object' }).optional(),
  uuid: z.string({ message: 'must be a string' }).optional(),
  timestamp: z.union([z.string(), z.number()], { message: 'must be an ISO 8601 time or epoch milliseconds' }).optional(),
  offset: z.number({ message: 'must be a number of milliseconds' }).finite().optional(),
  $set: z.record(z.string(), z.unknown(), { message: 'must be an object' }).optional(),
  $set_once: z.record(z.string(), z.unknown(), { message: 'must be an object' }).optional(),
}, { message: 'must be an event object ({"event": …, "distinct_id": …, "properties": {…}})' });
export type PostHogEvent = z.infer<typeof PostHogEvent>;

/** What a PostHog event becomes: a Strix item of a kind, nothing (a dropped event), or why it is refused. */
export type MappedEvent = { kind: 'track' | 'log'; item: Record<string, unknown> } | { kind: 'dropped' } | { refusal: string };

/**
 * When the event happened, as PostHog computes it: `offset` ms before the request arrived; else
 * its `timestamp`, moved by the client clock's distance from the server's (`sent_at` against the
 * arrival); else the arrival.
 */
function timeOf(event: PostHogEvent, receivedAt: number, sentAt: number | undefined): number | undefined {
  if (event.offset !== undefined) return Math.round(receivedAt - event.offset);
  if (event.timestamp === undefined) return receivedAt;
  const at = typeof event.timestamp === 'number' ? event.timestamp : Date.parse(event.timestamp);
  if (!Number.isFinite(at)) return undefined;
  return Math.round(sentAt === undefined ? at : receivedAt + (at - sentAt));
}

/** One PostHog event of a capture request as a Strix item (the table at the top of this file). */
export function mapPostHogEvent(raw: unknown, index: number, receivedAt: number, sentAt: number | undefined): MappedEvent {
  const parsed = PostHogEvent.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.length ? `.${issue.path.map(String).join('.')}` : '';
    return { refusal: `batch[${index}]${path}: ${issue?.message ?? 'not an event'}` };
  }
  const event = parsed.data;
  if (droppedEvents.has(event.event)) return { kind: 'dropped' };
  const properties = event.properties ?? {};
  const timestamp = timeOf(event, receivedAt, sentAt);
  if (timestamp === undefined) return { refusal: `batch[${index}].timestamp: must be an ISO 8601 time or epoch milliseconds` };

  let userId = textOf(event.distinct_id) ?? textOf(event.$distinct_id) ?? textOf(properties.distinct_id);
  // posthog-node's groupIdentify without a user sends `$<type>_<key>` as the distinct id: a group, not a person.
  if (event.event === '$groupidentify' && userId === `$${textOf(properties.$group_type)}_${textOf(properties.$group_key)}`) userId = undefined;
  const $set = userPropertiesOf(properties.$set, event.$set);
  const $set_once = userPropertiesOf(properties.$set_once, event.$set_once);
  const context = {
    ...(event.uuid !== undefined && { client_event_id: event.uuid }),
    ...(userId !== undefined && { user_id: userId }),
    ...optionalText('session_id', properties.$session_id),
    ...optionalText('app_version', properties.$app_version),
    ...optionalText('build_number', properties.$app_build),
    ...optionalText('os_version', properties.$os_version),
    ...optionalText('device_model', properties.$device_model),
    ...optionalText('locale', properties.$locale),
    ...($set && { $set }),
    ...($set_once && { $set_once }),
    timestamp,
  };
  const props = propsOf(properties);

  if (event.event === '$exception') {
    const { handled, ...exception } = exceptionOf(properties);
    const fingerprint = fingerprintOf(properties.$exception_fingerprint);
    const attributes = { ...props, ...(handled !== undefined && { $exception_handled: handled }) };
    return {
      kind: 'log',
      item: {
        ...context,
        level: 'error',
        name: '$exception',
        message: exception.value ?? exception.type ?? 'Error',
        exception,
        ...(fingerprint && { fingerprint }),
        ...(Object.keys(attributes).length > 0 && { attributes }),
      },
    };
  }
  const path = pathOf(properties);
  return { kind: 'track', item: { ...context, name: event.event, ...(props && { props }), ...(path !== undefined && { path }) } };
}

function optionalText<K extends string>(key: K, value: unknown): { [P in K]?: string } {
  const text = textOf(value);
  return (text === undefined ? {} : { [key]: text }) as { [P in K]?: string };
}
