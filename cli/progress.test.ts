import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { progressReporter, type RunState } from './progress.ts';

function stream(isTTY: boolean) {
  let text = '';
  const s = Object.assign(new PassThrough(), { isTTY, columns: 100 });
  s.setEncoding('utf8').on('data', (d: string) => (text += d));
  return { s, text: () => text };
}

const run = (status: string, processed: number, total: number | null, message = '', error = ''): RunState => ({ id: 'r1', type: 'retention_cleanup', status, progress: { processed, total, message }, error });

describe('job progress', () => {
  it('redraws a bar in place on a terminal, then ends with the status line', () => {
    const { s, text } = stream(true);
    let now = 0;
    const reporter = progressReporter(s, () => now);
    reporter.update(run('pending', 0, null));
    reporter.update(run('running', 5, 10, 'table events'));
    now = 1500;
    reporter.end(run('completed', 10, 10, 'done'));
    const frames = text().split('\r\x1b[2K').filter(Boolean);
    assert.match(frames[0] ?? '', /^retention_cleanup [⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] pending 0$/);
    assert.equal(frames[1], 'retention_cleanup ▕████████████░░░░░░░░░░░░▏ 50% 5/10 table events');
    assert.equal(frames[2], 'retention_cleanup r1: completed after 1.5 s (done)\n');
    assert.ok(frames.slice(0, 2).every((f) => [...f].length < 100 && !f.includes('\n')));
  });

  it('prints a line per change elsewhere, and the error of a run that failed', () => {
    const { s, text } = stream(false);
    const reporter = progressReporter(s, () => 0);
    reporter.update(run('running', 1, 4));
    reporter.update(run('running', 1, 4));
    reporter.update(run('running', 3, 4));
    reporter.end(run('failed', 3, 4, '', 'warehouse unavailable'));
    assert.equal(text(), ['retention_cleanup r1: running 1/4', 'retention_cleanup r1: running 3/4', 'retention_cleanup r1: failed after 0.0 s (warehouse unavailable)', ''].join('\n'));
  });
});
