/**
 * A job run's progress while a command waits for it, on stderr: a bar redrawn
 * in place on a terminal, a plain line per change otherwise (logs, CI). Both
 * end with the run's status.
 */
import { terminalWidth, type Output } from './command.ts';

export interface RunState {
  id: string;
  type: string;
  status: string;
  progress: { processed: number; total: number | null; message: string };
  error: string;
}

export interface ProgressReporter {
  update(run: RunState): void;
  end(run: RunState): void;
}

const barWidth = 24;
const spinner = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

function counts(run: RunState): string {
  const { processed, total } = run.progress;
  return total === null ? `${processed}` : `${processed}/${total}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function endLine(run: RunState, elapsedMs: number): string {
  const detail = run.status === 'completed' ? run.progress.message : run.error || run.progress.message;
  return `${run.type} ${run.id}: ${run.status} after ${seconds(elapsedMs)}${detail ? ` (${detail})` : ''}\n`;
}

export function progressReporter(stream: Output, now = () => Date.now()): ProgressReporter {
  const started = now();
  if (stream.isTTY) {
    let tick = 0;
    const clear = '\r\x1b[2K';
    return {
      update(run) {
        const { processed, total, message } = run.progress;
        const fraction = total ? Math.min(1, processed / total) : undefined;
        const bar =
          fraction === undefined
            ? `${spinner[tick++ % spinner.length] ?? ''} ${run.status}`
            : `▕${'█'.repeat(Math.round(fraction * barWidth)).padEnd(barWidth, '░')}▏ ${Math.floor(fraction * 100)}%`;
        const line = `${run.type} ${bar} ${counts(run)} ${message}`.trimEnd();
        const room = (terminalWidth(stream) ?? 80) - 1;
        stream.write(clear + ([...line].length > room ? [...line].slice(0, room).join('') : line));
      },
      end(run) {
        stream.write(clear + endLine(run, now() - started));
      },
    };
  }
  let last = '';
  return {
    update(run) {
      const line = `${run.type} ${run.id}: ${run.status} ${counts(run)} ${run.progress.message}`.trimEnd();
      if (line !== last) stream.write(`${line}\n`);
      last = line;
    },
    end(run) {
      stream.write(endLine(run, now() - started));
    },
  };
}
