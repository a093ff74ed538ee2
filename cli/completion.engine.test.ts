/**
 * `strix completion zsh` in Debian's zsh, through zsh's own completion system: an interactive
 * `zsh -f` on a pseudo-terminal (zsh/zpty) runs `compinit`, takes the script either as the
 * function `_strix` on `fpath` (how `#compdef` files are installed) or sourced (`compdef`), and
 * has `strix …<Tab>` typed into it. What the line became is read back, and so is what zsh
 * matched: `compadd` is wrapped to record the words the builtin matches (`compadd -O`) before
 * the builtin adds them as usual, so the completion itself is untouched.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ensureZsh } from '@strix/testkit/zsh';
import { spawnStrix } from './cli.fixture.ts';

/**
 * Sourced by the interactive zsh. No listing (the matches are recorded instead, and a long list
 * would stop to ask); Ctrl-X Ctrl-R saves the line, empties it and prints the marker the driver
 * waits for.
 */
const setup = `PS1=''
unsetopt auto_list
[[ $STRIX_INSTALL = fpath ]] && fpath=("$STRIX_DIR/functions" $fpath)
autoload -Uz compinit && compinit -u -d "$STRIX_DIR/zcompdump"
[[ $STRIX_INSTALL = source ]] && source "$STRIX_DIR/strix.zsh"
compadd() {
  local -a matched
  builtin compadd -O matched "$@"
  (( $#matched )) && print -rl -- "\${(@)matched/#/match:}" >> "$STRIX_DIR/matches"
  builtin compadd "$@"
}
save-line() { print -rn -- "$BUFFER" > "$STRIX_DIR/line"; BUFFER=; print -n '<SAVED>'; }
zle -N save-line
bindkey '^X^R' save-line
print '<READY>'
`;

/** Runs the interactive zsh and types each argument, then Tab, then Ctrl-X Ctrl-R; prints `line:`, then `match:` lines, per case. */
const driver = `zmodload zsh/zpty zsh/zselect
typeset -F SECONDS
zpty strix zsh -f -i
# Reads the terminal until it shows $1; what it showed is in the message when it never does.
await() {
  local seen= chunk deadline=$((SECONDS + 20))
  while [[ $seen != *$1* ]]; do
    if zpty -rt strix chunk; then seen+=$chunk
    elif (( SECONDS > deadline )); then print -ru2 -- "zsh never printed $1; the terminal showed: $seen"; zpty -d strix; exit 1
    else zselect -t 2
    fi
  done
}
zpty -w strix 'source "$STRIX_DIR/setup.zsh"'
await '<READY>'
for typed in "$@"; do
  : > "$STRIX_DIR/matches"
  zpty -w -n strix "$typed"$'\\t\\x18\\x12'
  await '<SAVED>'
  print -r -- "line:$(<"$STRIX_DIR/line")"
  cat "$STRIX_DIR/matches"
done
zpty -d strix
`;

interface Completion {
  /** The command line after Tab. */
  line: string;
  /** The words zsh matched against what was typed. */
  matches: string[];
}

const run = promisify(execFile);

describe('strix completion zsh, in zsh', { timeout: 180_000 }, () => {
  let zsh: string;
  let dir: string;
  let script: string;
  before(async () => {
    zsh = await ensureZsh();
    dir = await mkdtemp(join(tmpdir(), 'strix-zsh-'));
    const printed = await spawnStrix(dir, ['completion', 'zsh']);
    assert.equal(printed.code, 0, printed.stderr);
    script = printed.stdout;
    await mkdir(join(dir, 'functions'));
    await writeFile(join(dir, 'functions', '_strix'), script);
    await writeFile(join(dir, 'strix.zsh'), script);
    await writeFile(join(dir, 'setup.zsh'), setup);
    await writeFile(join(dir, 'driver.zsh'), driver);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Types each of `typed` in a fresh interactive zsh with the script installed the `install` way. */
  const complete = async (install: 'fpath' | 'source', typed: string[]): Promise<Map<string, Completion>> => {
    const { stdout } = await run(zsh, ['-f', join(dir, 'driver.zsh'), ...typed], {
      env: { PATH: process.env.PATH ?? '', HOME: dir, TERM: 'dumb', STRIX_DIR: dir, STRIX_INSTALL: install },
      timeout: 120_000,
    });
    const results: Completion[] = [];
    for (const row of stdout.split('\n')) {
      if (row.startsWith('line:')) results.push({ line: row.slice('line:'.length), matches: [] });
      else if (row.startsWith('match:')) results.at(-1)?.matches.push(row.slice('match:'.length));
    }
    assert.equal(results.length, typed.length, stdout);
    return new Map(typed.map((t, i) => [t, results[i]!]));
  };

  const cases = [
    'strix iss',
    'strix issues re',
    'strix events list --',
    'strix events list --level e',
    'strix --profile x events list -f ',
    'strix audience ',
    'strix issues show ',
  ];

  it('is a #compdef file for strix', () => {
    assert.match(script, /^#compdef strix\n/);
  });

  for (const install of ['fpath', 'source'] as const) {
    it(`completes commands, options and their values, installed by ${install === 'fpath' ? 'fpath and compinit' : 'source and compdef'}`, async () => {
      const c = await complete(install, cases);
      const at = (typed: string) => c.get(typed)!;
      assert.deepEqual(at('strix iss'), { line: 'strix issues ', matches: ['issues'] });
      assert.deepEqual(at('strix issues re'), { line: 'strix issues re', matches: ['resolve', 'reopen'] }, 'several matches: the line keeps what they share');
      assert.ok(at('strix events list --').matches.includes('--data-mode'), JSON.stringify(at('strix events list --')));
      assert.deepEqual(at('strix events list --level e'), { line: 'strix events list --level error ', matches: ['error'] });
      assert.deepEqual(at('strix --profile x events list -f ').matches, ['table', 'json', 'csv']);
      assert.deepEqual(at('strix audience ').matches, ['active', 'screens', 'live']);
      assert.deepEqual(at('strix issues show '), { line: 'strix issues show ', matches: [] }, 'an issue id is not guessed');
    });
  }
});
