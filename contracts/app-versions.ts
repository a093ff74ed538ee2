/**
 * App versions: their order, and where an app's latest version comes from.
 *
 * A regression is only claimed, and a version only called the highest, when
 * the order is known: `compareVersions` answers undefined rather than guess,
 * and an unknown answer never reopens an issue.
 *
 * Semantic versions compare by semver 2.0 precedence (1.10.0 > 1.9.0,
 * 1.0.0-rc.1 < 1.0.0, build metadata ignored), with a leading "v", two- or
 * four-part forms (1.2, 1.2.3.4) accepted. Anything else is split into runs of
 * digits and letters ("2024.10.02", "build 45", "1.2.3 (456)") and compared run
 * by run: numbers numerically, words only for equality. A word against a
 * different word, or a word against a number, is an unknown order.
 */

/** Where an app's `latest_app_version` was read: the App Store's lookup, or the highest production `app_version` of its events. */
export const appVersionSources = ['app_store', 'events'] as const;
export type AppVersionSource = (typeof appVersionSources)[number];

type Identifier = number | string;

interface SemVer {
  readonly core: readonly number[];
  readonly prerelease: readonly Identifier[];
}

const SEMVER = /^v?(\d+(?:\.\d+){0,3})(?:-([0-9a-z-]+(?:\.[0-9a-z-]+)*))?(?:\+[0-9a-z.-]+)?$/i;

function identifier(part: string): Identifier {
  return /^\d+$/.test(part) ? Number(part) : part;
}

function parseSemVer(version: string): SemVer | undefined {
  const match = SEMVER.exec(version);
  if (!match?.[1]) return undefined;
  const core = match[1].split('.').map(Number);
  while (core.length < 3) core.push(0);
  return { core, prerelease: match[2] ? match[2].split('.').map(identifier) : [] };
}

const sign = (n: number): -1 | 0 | 1 => (n < 0 ? -1 : n > 0 ? 1 : 0);

function compareIdentifiers(a: Identifier, b: Identifier): -1 | 0 | 1 {
  if (typeof a === 'number' && typeof b === 'number') return sign(a - b);
  // Semver: numeric identifiers sort before alphanumeric ones; words compare in ASCII order.
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareSemVer(a: SemVer, b: SemVer): -1 | 0 | 1 {
  const length = Math.max(a.core.length, b.core.length);
  for (let i = 0; i < length; i++) {
    const order = sign((a.core[i] ?? 0) - (b.core[i] ?? 0));
    if (order !== 0) return order;
  }
  // A release outranks its pre-releases; otherwise identifiers decide, then the longer list.
  if (a.prerelease.length === 0 || b.prerelease.length === 0) {
    return sign(b.prerelease.length - a.prerelease.length);
  }
  const shared = Math.min(a.prerelease.length, b.prerelease.length);
  for (let i = 0; i < shared; i++) {
    const order = compareIdentifiers(a.prerelease[i] as Identifier, b.prerelease[i] as Identifier);
    if (order !== 0) return order;
  }
  return sign(a.prerelease.length - b.prerelease.length);
}

function runs(version: string): Identifier[] {
  return (version.toLowerCase().match(/\d+|[a-z]+/g) ?? []).map(identifier);
}

function compareRuns(a: readonly Identifier[], b: readonly Identifier[]): -1 | 0 | 1 | undefined {
  if (a.length === 0 || b.length === 0) return undefined;
  const shared = Math.min(a.length, b.length);
  for (let i = 0; i < shared; i++) {
    const x = a[i] as Identifier;
    const y = b[i] as Identifier;
    if (typeof x !== typeof y) return undefined;
    if (typeof x === 'string') {
      if (x !== y) return undefined;
      continue;
    }
    const order = sign(x - (y as number));
    if (order !== 0) return order;
  }
  // "2024.10" < "2024.10.1": more parts after an equal prefix is a later version.
  return sign(a.length - b.length);
}

/** -1, 0 or 1 as `a` is older than, the same as or newer than `b`; undefined when the order is unknown. */
export function compareVersions(a: string, b: string): -1 | 0 | 1 | undefined {
  const x = a.trim();
  const y = b.trim();
  if (x === '' || y === '') return undefined;
  const semverA = parseSemVer(x);
  const semverB = parseSemVer(y);
  if (semverA && semverB) return compareSemVer(semverA, semverB);
  return compareRuns(runs(x), runs(y));
}

/** True only when both versions are known and `seen` is strictly newer than `resolvedAt`. */
export function isNewerVersion(seen: string, resolvedAt: string): boolean {
  return compareVersions(seen, resolvedAt) === 1;
}
