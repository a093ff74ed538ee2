/**
 * The events bench/dashboard-api.ts seeds: a month of a busy app, written straight into a
 * stopped server's chDB store by INSERT … SELECT from numbers(), so every materialized view fills
 * its rollup as the processors' inserts would.
 */
import type { Warehouse } from '@strix/contracts';

const dayMs = 86_400_000;
const perInsert = 1_000_000;

// Per person (dimensions hashed from `person`), as the processors would store their events.
const dimensions = `
  {apps:Array(String)}[1 + cityHash64(person, 'app') % length({apps:Array(String)})] AS app_id, person % 50 = 0 AS is_dev,
  if(person % 10 < 7, concat('u', toString(person)), '') AS user_id,
  ['2.4.1', '2.4.1', '2.4.1', '2.4.0', '2.4.0', '2.3.1', '2.3.0'][1 + cityHash64(person, 'ver') % 7] AS app_version,
  ['iPhone15,3', 'iPhone14,2', 'iPad13,4', 'Pixel 8', 'SM-S918B', 'Pixel 6a'][1 + cityHash64(person, 'dev') % 6] AS device_model,
  ['17.4', '17.2', '16.7', '14', '13', '12'][1 + cityHash64(person, 'os') % 6] AS os_version,
  ['US', 'US', 'DE', 'FR', 'GB', 'BR', 'JP', 'IN', ''][1 + cityHash64(person, 'cc') % 9] AS country,
  ['en_US', 'en_US', 'de_DE', 'fr_FR', 'en_GB', 'pt_BR', 'ja_JP', 'hi_IN', 'en_US'][1 + cityHash64(person, 'cc') % 9] AS locale,
  map('checkout_flow', ['control', 'one_page'][1 + cityHash64(person, 'exp') % 2]) AS experiments`;

const columns = `project_id, app_id, is_dev, event_id, ts, received_at, name, level, message, session_id, user_id, source_module,
  screen_name, environment, os_version, app_version, build_number, device_model, locale, country, fingerprint, attributes,
  experiments, retention_days, kind, user_set, user_set_once, grouping_config, fingerprint_previous, exception_type, culprit,
  stack_frames, metric_phase, tracking_id, metric_value, metric_unit, duration_ms`;

const screens = `['Home', 'Feed', 'Search', 'Product', 'Cart', 'Checkout', 'Profile', 'Settings', 'Orders', 'Wishlist', 'Notifications',
  'Onboarding', 'Help', 'Category', 'Deals', 'Reviews', 'Receipt', 'Login', 'Signup', 'About']`;

/**
 * Event n is person n % people's (n / people)-th, spaced a person's fixed gap apart and ending at a
 * time spread over the range up to now (so some people are live). Most are track events: down the
 * funnel app_open → view_product → add_to_cart → checkout → purchase, else screen views and noise;
 * 10% logs; 2% errors of ~300 problems, skewed (a few make most of the noise), half with a stack
 * (and a previous-config fingerprint, as real ones have). A person's first event sets properties.
 */
const activitySql = `
INSERT INTO events (${columns}) SELECT ${columns} FROM (
  SELECT {project:String} AS project_id, ${dimensions}, toString(generateUUIDv4(number)) AS event_id,
    fromUnixTimestamp64Milli(toInt64({now:Int64} - cityHash64(person, 'end') % {span:UInt64}
      - (intDiv({total:UInt64} - 1 - person, {people:UInt64}) - nth) * (60000 + cityHash64(person, 'gap') % 7200000)), 'UTC') AS ts,
    ts AS received_at,
    cityHash64(number, 'roll') % 100 AS roll, toUInt32(pow((cityHash64(number, 'k') % 10000) / 10000, 3) * 300) AS k,
    multiIf(roll < 2, 'error', roll < 12, 'log', 'track') AS what,
    ['app_open', 'view_product', 'add_to_cart', 'checkout', 'purchase'] AS steps,
    concat('Cannot load item', toString(k), ' for order ', toString(number % 100000)) AS problem,
    multiIf(what = 'error', problem, what = 'log', ['sync.finished', 'http.response', 'cache.miss', 'push.received'][1 + roll % 4],
      nth <= cityHash64(person, 'depth') % 5 AND cityHash64(number, 'on') % 10 < 8, steps[1 + nth],
      ['$screen', '$screen', '$screen', 'search', 'view_product', 'share'][1 + cityHash64(number, 'noise') % 6]) AS name,
    CAST(multiIf(what = 'error', 'error', what = 'track', 'info', ['debug', 'info', 'info', 'warn'][1 + roll % 4]) AS String) AS level,
    multiIf(what = 'error', problem, what = 'log', concat('done in ', toString(cityHash64(number, 'ms') % 900), ' ms'), '') AS message,
    concat('s', toString(person), '-', toString(if(user_id != '', intDiv(nth, 4), 0))) AS session_id,
    multiIf(what = 'error', concat('module', toString(k % 40)), what = 'log', 'net', '') AS source_module,
    multiIf(name = 'app_open', 'Home', name = 'view_product', 'Product', name = 'add_to_cart', 'Cart', name = 'checkout', 'Checkout',
      name = 'purchase', 'Receipt', ${screens}[1 + toUInt32(pow((cityHash64(number, 'scr') % 1000) / 1000, 2) * 20)]) AS screen_name,
    'production' AS environment, '412' AS build_number,
    if(what = 'error', lower(hex(SHA256(concat('strix-2:', toString(k))))), '') AS fingerprint,
    if(what = 'track', map('plan', ['free', 'pro'][1 + (person % 7 = 0)], 'amount', toString(cityHash64(number, 'amt') % 200)),
      CAST(map(), 'Map(String, String)')) AS attributes,
    90 AS retention_days, if(what = 'track', 'track', 'log') AS kind,
    if(nth = 0 AND user_id != '', map('plan', ['free', 'pro', 'team'][1 + cityHash64(person, 'plan') % 3], 'source', ['ads', 'organic', 'referral'][1 + person % 3]),
      CAST(map(), 'Map(String, String)')) AS user_set,
    if(nth = 0 AND user_id != '', map('first_country', country), CAST(map(), 'Map(String, String)')) AS user_set_once,
    if(what = 'error', 'strix-2', '') AS grouping_config,
    if(what = 'error' AND k % 2 = 0, lower(hex(SHA256(concat('strix-1:', toString(k))))), '') AS fingerprint_previous,
    if(what = 'error', ['TypeError', 'RangeError', 'NetworkError', 'SyntaxError', 'IllegalStateException'][1 + k % 5], '') AS exception_type,
    if(what = 'error' AND k % 2 = 0, concat('loadItem', toString(k), ' (src/feature', toString(k % 40), '/load.ts)'), '') AS culprit,
    if(what = 'error' AND k % 2 = 0, concat('[{"function":"loadItem', toString(k), '","filename":"src/feature', toString(k % 40), '/load.ts","lineno":',
      toString(7 + k % 30), ',"in_app":true}]'), '') AS stack_frames,
    '' AS metric_phase, '' AS tracking_id, CAST(NULL, 'Nullable(Float64)') AS metric_value, '' AS metric_unit, CAST(NULL, 'Nullable(Float64)') AS duration_ms
  FROM (SELECT number, number % {people:UInt64} AS person, intDiv(number, {people:UInt64}) AS nth FROM numbers({offset:UInt64}, {count:UInt64}))
)`;

/**
 * Metric points over the range: operations (a start, then a complete, fail or cancel with its
 * duration) of four names, and records of three, from the same people.
 */
const metricSql = `
INSERT INTO events (${columns}) SELECT ${columns} FROM (
  SELECT {project:String} AS project_id, ${dimensions}, toString(generateUUIDv4(number)) AS event_id,
    number < {opRows:UInt64} AS op, intDiv(number, 2) AS opId, number % 2 = 1 AS isEnd, if(op, opId, number) AS unit,
    round(-log((cityHash64(unit, 'dur') % 1000000 + 1) / 1000001) * 250 + 20) AS dur,
    fromUnixTimestamp64Milli(toInt64({now:Int64} - cityHash64(unit, 'at') % {span:UInt64} - if(op AND NOT isEnd, dur, 0)), 'UTC') AS ts,
    ts AS received_at,
    if(op, ['api.request', 'api.request', 'checkout.submit', 'image.upload', 'sync'][1 + cityHash64(unit, 'name') % 5],
      ['app.start_ms', 'screen.render_ms', 'memory.mb'][1 + cityHash64(unit, 'name') % 3]) AS name,
    'info' AS level, name AS message, concat('s', toString(person), '-0') AS session_id, '' AS source_module, '' AS screen_name,
    'production' AS environment, '412' AS build_number, '' AS fingerprint,
    if(op, map('endpoint', ['/v1/items', '/v1/cart', '/v1/search', '/v1/orders'][1 + cityHash64(unit, 'ep') % 4]),
      map('screen', ['Home', 'Feed', 'Product', 'Cart'][1 + cityHash64(unit, 'sc') % 4])) AS attributes,
    90 AS retention_days, 'metric' AS kind, CAST(map(), 'Map(String, String)') AS user_set, CAST(map(), 'Map(String, String)') AS user_set_once,
    '' AS grouping_config, '' AS fingerprint_previous, '' AS exception_type, '' AS culprit, '' AS stack_frames,
    cityHash64(unit, 'end') % 100 AS e,
    if(op, if(isEnd, multiIf(e < 85, 'complete', e < 97, 'fail', 'cancel'), 'start'), 'record') AS metric_phase,
    if(op, concat('op-', toString(opId)), '') AS tracking_id,
    if(op, NULL, toNullable(round(-log((cityHash64(unit, 'v') % 1000000 + 1) / 1000001) * 40, 1))) AS metric_value,
    if(name = 'memory.mb', 'MB', 'ms') AS metric_unit, if(op AND isEnd, toNullable(dur), NULL) AS duration_ms
  FROM (SELECT number, cityHash64(if(number < {opRows:UInt64}, intDiv(number, 2), number), 'who') % {people:UInt64} AS person
        FROM numbers({offset:UInt64}, {count:UInt64}))
)`;

export interface SeedShape {
  events: number;
  people: number;
  rangeDays: number;
}

/** Fills a stopped server's store: 90% activity, 10% metric points; returns how long the inserts took. */
export async function seedEvents(wh: Warehouse, project: string, apps: string[], { events, people, rangeDays }: SeedShape): Promise<number> {
  const now = Date.now();
  const activity = Math.round(events * 0.9);
  const metrics = events - activity;
  const common = { project, apps, now, people, span: rangeDays * dayMs };
  const start = performance.now();
  for (let offset = 0; offset < activity; offset += perInsert) {
    await wh.command(activitySql, { ...common, total: activity, offset, count: Math.min(perInsert, activity - offset) });
  }
  for (let offset = 0; offset < metrics; offset += perInsert) {
    await wh.command(metricSql, { ...common, opRows: Math.floor(metrics * 0.35) * 2, offset, count: Math.min(perInsert, metrics - offset) });
  }
  return performance.now() - start;
}
