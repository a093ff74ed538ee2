import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Warehouse } from '@strix/contracts';
import { eventRow } from '@strix/testkit/rows';
import { openStore } from '@strix/testkit/stores';
import { principal, queryApp } from '@strix/testkit/apps';


const dayMs = 86_400_000;
const t0 = Math.floor(Date.now() / dayMs) * dayMs - 5 * dayMs;
const from = new Date(t0).toISOString();
const to = new Date(t0 + 2 * dayMs).toISOString();
const steps = [{ event: 'signup' }, { event: 'purchase' }];

interface Saved { id: string; name: string; steps: { event: string }[]; mode: string; window_seconds: number; strict_order: boolean; exclusions: unknown[]; by: string; created_at: string; updated_at: string }
interface Report {
  funnel: Record<string, unknown>;
  from: string;
  data_mode: string;
  groups: { value: string | null; steps: { count: number; median_seconds_to_convert: number | null }[]; totals: { entered: number; converted: number } }[];
  experiment?: { control: string; variants: { variant: string; users: number }[]; verdict: string };
}

describe('funnels API', () => {
  let wh: Warehouse;
  let close: () => Promise<void>;
  let app: Awaited<ReturnType<typeof queryApp>>;

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, key = 'agent-rw') =>
    app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload && { payload }) });
  const ok = async <T>(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, status = 200) => {
    const res = await call(method, url, payload);
    assert.equal(res.statusCode, status, res.body);
    return res.json<T>();
  };
  const rejected = async (method: 'POST' | 'PATCH', url: string, payload: object, message: string | RegExp) => {
    const res = await call(method, url, payload);
    assert.equal(res.statusCode, 400, res.body);
    const body = res.json<{ error: string; message: string }>();
    assert.equal(body.error, 'bad_request');
    if (typeof message === 'string') assert.equal(body.message, message);
    else assert.match(body.message, message);
  };

  before(async () => {
    ({ wh, close } = await openStore('p', 'other'));
    app = await queryApp(wh, [
      principal('agent-rw', 'agent', ['funnels:read', 'funnels:write']),
      principal('agent-ro', 'agent', ['funnels:read']),
      principal('agent-write-only', 'agent', ['funnels:write']),
      principal('agent-other', 'agent', ['funnels:read', 'funnels:write'], 'other'),
      principal('client-1', 'client', ['events:write']),
    ]);
    const track = (user: string, name: string, sec: number, fields: object = {}) =>
      eventRow({ project_id: 'p', kind: 'track', user_id: user, session_id: `${user}-s`, name, ts: t0 + sec * 1000, ...fields });
    await wh.insert('events', [
      track('u1', 'signup', 0, { experiments: { paywall: 'control' } }), track('u1', 'purchase', 60),
      track('u2', 'signup', 0, { experiments: { paywall: 'b' } }), track('u2', 'purchase', 120),
      track('u3', 'signup', 0, { experiments: { paywall: 'b' } }),
      track('dev', 'signup', 0, { is_dev: true }), track('dev', 'purchase', 1, { is_dev: true }),
    ]);
  });
  after(async () => {
    await app.close();
    await close();
  });

  it('POST /v1/funnels/query runs an ad-hoc funnel with defaults applied', async () => {
    const r = await ok<Report>('POST', '/v1/funnels/query', { steps, from, to });
    assert.deepEqual(r.funnel, { steps, mode: 'closed', window_seconds: 604_800, strict_order: false, exclusions: [], by: 'user' });
    assert.equal(r.data_mode, 'production');
    assert.deepEqual(r.groups.map((g) => [g.value, g.steps.map((s) => s.count), g.steps[1]!.median_seconds_to_convert]), [[null, [3, 2], 90]]);
    const all = await ok<Report>('POST', '/v1/funnels/query', { steps, from: t0, to: String(t0 + dayMs), data_mode: 'all' });
    assert.deepEqual(all.groups[0]!.totals, { entered: 4, converted: 3, conversion_rate: 0.75, median_seconds_to_convert: 60 });
    const other = await call('POST', '/v1/funnels/query', { steps, from, to }, 'agent-other');
    assert.deepEqual(other.json<Report>().groups[0]!.totals.entered, 0, 'another project sees none of these events');
  });

  it('a breakdown by experiment carries the comparison', async () => {
    const r = await ok<Report>('POST', '/v1/funnels/query', { steps, from, to, breakdown: { experiment: 'paywall' } });
    assert.deepEqual(r.groups.map((g) => [g.value, g.totals.entered, g.totals.converted]), [['b', 2, 1], ['control', 1, 1]]);
    assert.equal(r.experiment?.control, 'control');
    assert.match(r.experiment?.verdict ?? '', /^Sample too small/);
  });

  it('POST /v1/funnels/trend: conversion per day of entry, for an ad-hoc and a saved funnel', async () => {
    interface Trend { funnel: Record<string, unknown>; interval: string; data_mode: string; points: { period: string; entered: number; converted: number; conversion_rate: number; counts: number[] }[] }
    const day0 = from.slice(0, 10);
    const day1 = new Date(t0 + dayMs).toISOString().slice(0, 10);
    const r = await ok<Trend>('POST', '/v1/funnels/trend', { steps, from, to });
    assert.equal(r.interval, 'day');
    assert.deepEqual(r.points, [
      { period: day0, entered: 3, converted: 2, conversion_rate: 2 / 3, counts: [3, 2] },
      { period: day1, entered: 0, converted: 0, conversion_rate: 0, counts: [0, 0] },
    ]);
    const weekly = await ok<Trend>('POST', '/v1/funnels/trend', { steps, from, to, interval: 'week', data_mode: 'all' });
    const entryWeek = weekly.points.filter((p) => p.period <= day0).at(-1);
    assert.deepEqual(weekly.points.map((p) => p.entered), weekly.points.map((p) => (p === entryWeek ? 4 : 0)), 'all four entered in the week of day 0');

    const { funnel } = await ok<{ funnel: Saved }>('POST', '/v1/funnels', { name: 'Trend', steps }, 201);
    const saved = await ok<Trend>('POST', `/v1/funnels/${funnel.id}/trend`, { from, to });
    assert.equal(saved.funnel.id, funnel.id);
    assert.deepEqual(saved.points, r.points);
    const other = await call('POST', `/v1/funnels/${funnel.id}/trend`, { from, to }, 'agent-other');
    assert.equal(other.statusCode, 404, 'a funnel of another project is not found');
    await rejected('POST', '/v1/funnels/trend', { steps, from, to, interval: 'hour' }, 'body field interval: must be one of day, week');
    await rejected('POST', '/v1/funnels/trend', { steps, from, to, breakdown: { experiment: 'paywall' } }, /breakdown/);
    await rejected('POST', `/v1/funnels/${funnel.id}/trend`, { from: to, to: from }, 'body field from: must be before to');
    assert.equal((await call('DELETE', `/v1/funnels/${funnel.id}`)).statusCode, 204);
  });

  it('saved funnels: create, list, read, change, run, delete', async () => {
    const created = await ok<{ funnel: Saved }>('POST', '/v1/funnels', { name: ' Checkout ', steps, window_seconds: 3600 }, 201);
    const { id, created_at, updated_at, ...rest } = created.funnel;
    assert.match(id, /^fnl_/);
    assert.equal(created_at, updated_at);
    assert.deepEqual(rest, { name: 'Checkout', steps, mode: 'closed', window_seconds: 3600, strict_order: false, exclusions: [], by: 'user' });
    assert.deepEqual((await ok<{ funnels: Saved[] }>('GET', '/v1/funnels')).funnels.map((f) => f.id), [id]);
    assert.equal((await ok<{ funnel: Saved }>('GET', `/v1/funnels/${id}`)).funnel.name, 'Checkout');

    const patched = await ok<{ funnel: Saved }>('PATCH', `/v1/funnels/${id}`, { window_seconds: 90, exclusions: [{ event: 'refund' }] });
    assert.deepEqual([patched.funnel.name, patched.funnel.window_seconds, patched.funnel.exclusions], ['Checkout', 90, [{ event: 'refund' }]]);
    assert.equal(patched.funnel.created_at, created_at);
    const run = await ok<Report>('POST', `/v1/funnels/${id}/query`, { from, to });
    assert.equal(run.funnel.id, id);
    assert.deepEqual(run.groups[0]!.steps.map((s) => s.count), [3, 1], 'only u1 converts within 90 seconds');

    assert.equal((await call('DELETE', `/v1/funnels/${id}`)).statusCode, 204);
    assert.equal((await call('GET', `/v1/funnels/${id}`)).statusCode, 404);
    assert.equal((await call('DELETE', `/v1/funnels/${id}`)).statusCode, 404);
    assert.equal((await call('POST', `/v1/funnels/${id}/query`, { from, to })).statusCode, 404);
    assert.deepEqual((await ok<{ funnels: Saved[] }>('GET', '/v1/funnels')).funnels, []);
  });

  it('lists saved funnels a page at a time', async () => {
    const ids: string[] = [];
    for (const name of ['a', 'b', 'c']) ids.push((await ok<{ funnel: Saved }>('POST', '/v1/funnels', { name, steps }, 201)).funnel.id);
    const first = await ok<{ funnels: Saved[]; next_offset: number | null }>('GET', '/v1/funnels?limit=2');
    assert.deepEqual([first.funnels.map((f) => f.id), first.next_offset], [ids.slice(0, 2), 2]);
    const second = await ok<{ funnels: Saved[]; next_offset: number | null }>('GET', '/v1/funnels?limit=2&offset=2');
    assert.deepEqual([second.funnels.map((f) => f.id), second.next_offset], [ids.slice(2), null]);
    const tooMany = await call('GET', '/v1/funnels?limit=201');
    assert.equal(tooMany.statusCode, 400);
    assert.match(tooMany.body, /limit.*at most 200/);
    for (const id of ids) assert.equal((await call('DELETE', `/v1/funnels/${id}`)).statusCode, 204);
  });

  it("another project's funnel is not found", async () => {
    const { funnel } = await ok<{ funnel: Saved }>('POST', '/v1/funnels', { name: 'Mine', steps }, 201);
    for (const [method, url, body] of [['GET', `/v1/funnels/${funnel.id}`], ['PATCH', `/v1/funnels/${funnel.id}`, { name: 'Theirs' }], ['DELETE', `/v1/funnels/${funnel.id}`], ['POST', `/v1/funnels/${funnel.id}/query`, { from, to }]] as const) {
      const res = await call(method, url, body, 'agent-other');
      assert.equal(res.statusCode, 404, `${method} ${url}: ${res.body}`);
      assert.match(res.json<{ message: string }>().message, /^no funnel fnl_/);
    }
    assert.deepEqual((await call('GET', '/v1/funnels', undefined, 'agent-other')).json<{ funnels: unknown[] }>().funnels, []);
    assert.equal((await ok<{ funnel: Saved }>('GET', `/v1/funnels/${funnel.id}`)).funnel.name, 'Mine');
  });

  it('permissions: reads need funnels:read, changes funnels:write; client keys and no key are refused', async () => {
    assert.equal((await call('GET', '/v1/funnels', undefined, 'agent-ro')).statusCode, 200);
    const denied = await call('POST', '/v1/funnels', { name: 'x', steps }, 'agent-ro');
    assert.equal(denied.statusCode, 403);
    assert.match(denied.json<{ message: string }>().message, /funnels:write/);
    assert.equal((await call('PATCH', '/v1/funnels/fnl_x', { name: 'y' }, 'agent-ro')).statusCode, 403);
    assert.equal((await call('DELETE', '/v1/funnels/fnl_x', undefined, 'agent-ro')).statusCode, 403);
    assert.equal((await call('POST', '/v1/funnels/query', { steps, from, to }, 'agent-write-only')).statusCode, 403);
    assert.equal((await call('GET', '/v1/funnels', undefined, 'client-1')).statusCode, 403);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/funnels' })).statusCode, 401);
  });

  it('limits on a query are 400s that name the field and the limit', async () => {
    const q = (body: object) => ({ steps, from, to, ...body });
    const url = '/v1/funnels/query';
    await rejected('POST', url, q({ steps: [{ event: 'a' }] }), 'body field steps: must contain at least 2 steps');
    await rejected('POST', url, q({ steps: Array.from({ length: 21 }, (_, i) => ({ event: `e${i}` })) }), 'body field steps: must contain at most 20 steps');
    await rejected('POST', url, q({ window_seconds: 0 }), 'body field window_seconds: must be at least 1 second');
    await rejected('POST', url, q({ window_seconds: 90 * 86_400 + 1 }), 'body field window_seconds: must be at most 7776000 seconds (90 days)');
    await rejected('POST', url, q({ window_seconds: 1.5 }), 'body field window_seconds: must be a whole number of seconds');
    await rejected('POST', url, q({ from: to, to: from }), 'body field from: must be before to');
    await rejected('POST', url, q({ from: t0 - 367 * dayMs }), 'body field to: must be at most 366 days after from');
    await rejected('POST', url, q({ from: 'yesterday' }), /^body field from: must be an ISO-8601 time .* or epoch milliseconds, between 1970/);
    await rejected('POST', url, { steps, to }, 'body field from: is required');
    await rejected('POST', url, { from, to }, 'body field steps: is required');
    await rejected('POST', url, q({ mode: 'sideways' }), 'body field mode: must be one of closed, open');
    await rejected('POST', url, q({ by: 'device' }), 'body field by: must be one of user, session');
    await rejected('POST', url, q({ data_mode: 'staging' }), /^body field data_mode: must be one of production, development, all/);
    await rejected('POST', url, q({ steps: [{ event: 'a', where: [{ property: 'plan', op: 'like', value: 'x' }] }, { event: 'b' }] }), 'body field steps.0.where.0.op: must be one of eq, neq, contains, gt, lt, exists');
    await rejected('POST', url, q({ steps: [{ event: 'a', where: [{ property: 'amount', op: 'gt', value: '10' }] }, { event: 'b' }] }), 'body field steps.0.where.0.value: must be a number when op is gt');
    await rejected('POST', url, q({ steps: [{ event: 'a', where: [{ property: 'plan', op: 'eq' }] }, { event: 'b' }] }), 'body field steps.0.where.0.value: must be a string when op is eq (properties are text)');
    await rejected('POST', url, q({ steps: [{ event: 'a', where: [{ property: 'plan', op: 'exists', value: 'x' }] }, { event: 'b' }] }), 'body field steps.0.where.0.value: must be absent when op is exists');
    await rejected('POST', url, q({ steps: [{ evnt: 'a' }, { event: 'b' }] }), 'body field steps.0.event: is required');
    await rejected('POST', url, q({ steps: [{ event: 'a', label: 'A' }, { event: 'b' }] }), 'body field steps.0.label: not a known field; expected event, where');
    await rejected('POST', url, q({ window: 60 }), /^body field window: not a known field; expected steps, mode, window_seconds/);
    await rejected('POST', url, q({ mode: 'open', strict_order: true }), 'body field strict_order: applies to closed funnels only');
    await rejected('POST', url, q({ mode: 'open', exclusions: [{ event: 'x' }] }), 'body field exclusions: apply to closed funnels only');
    await rejected('POST', url, q({ exclusions: [{ event: 'x', from_step: 2 }] }), 'body field exclusions.0.from_step: must be before the last step (2)');
    await rejected('POST', url, q({ exclusions: [{ event: 'x', to_step: 3 }] }), 'body field exclusions.0.to_step: must be at most the last step (2)');
    await rejected('POST', url, q({ exclusions: Array.from({ length: 9 }, () => ({ event: 'x' })) }), 'body field exclusions: must contain at most 8 exclusions');
    await rejected('POST', url, q({ breakdown: { experiment: 'x', property: 'app_version' } }), 'body field breakdown: must name exactly one of experiment, property, user_property');
    await rejected('POST', url, q({ breakdown: { property: 'country' } }), 'body field breakdown.property: must be one of app_version, environment');
  });

  it('limits on saving, changing and running saved funnels', async () => {
    await rejected('POST', '/v1/funnels', { steps }, 'body field name: is required');
    await rejected('POST', '/v1/funnels', { name: 'x'.repeat(201), steps }, 'body field name: must be at most 200 characters');
    await rejected('POST', '/v1/funnels', { name: 'x', steps, from }, /^body field from: not a known field/);
    const { funnel } = await ok<{ funnel: Saved }>('POST', '/v1/funnels', { name: 'Three', steps: [...steps, { event: 'review' }], exclusions: [{ event: 'refund', to_step: 3 }] }, 201);
    await rejected('PATCH', `/v1/funnels/${funnel.id}`, {}, 'request body: send at least one field to change');
    // Dropping the third step would leave the exclusion past the last step: refused, nothing changes.
    await rejected('PATCH', `/v1/funnels/${funnel.id}`, { steps }, 'body field exclusions.0.to_step: must be at most the last step (2)');
    assert.equal((await ok<{ funnel: Saved }>('GET', `/v1/funnels/${funnel.id}`)).funnel.steps.length, 3);
    await rejected('POST', `/v1/funnels/${funnel.id}/query`, { from }, 'body field to: is required');
    await rejected('POST', `/v1/funnels/${funnel.id}/query`, { from, to, steps }, /^body field steps: not a known field/);
  });
});
