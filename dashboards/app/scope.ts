/** What every page works within: the person, the project, the data mode and the date range, all read from the URL. */
import type { Me } from './api.ts';

export const dataModes = ['production', 'development', 'all'] as const;
export type DataMode = (typeof dataModes)[number];

export const ranges = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000, '90d': 90 * 86_400_000 } as const;
export type RangeName = keyof typeof ranges;

export interface Project {
  id: string;
  name: string;
  teamId: string;
  teamName: string;
  permissions: string[];
}

export interface Scope {
  me: Me;
  project: Project;
  projects: Project[];
  dataMode: DataMode;
  range: RangeName;
  /** One app of the project (`app` in the URL), or every app when undefined. */
  appId?: string;
}

/** The filters every read of the project's data carries: the data mode and, when one is chosen, the app. */
export function readFilters(scope: Scope): Record<string, string> {
  return { data_mode: scope.dataMode, ...(scope.appId && { app_id: scope.appId }) };
}

const remembered = {
  get: (key: string) => {
    try {
      return localStorage.getItem(`strix.${key}`) ?? undefined;
    } catch {
      return undefined;
    }
  },
  set: (key: string, value: string) => {
    try {
      localStorage.setItem(`strix.${key}`, value);
    } catch {
      // Private windows may refuse storage: the URL still carries the choice.
    }
  },
};

export function projectsOf(me: Me): Project[] {
  return me.teams.flatMap((t) => t.projects.map((p) => ({ id: p.id, name: p.name, teamId: t.id, teamName: t.name, permissions: p.permissions })));
}

/** The scope the URL names, else what was chosen last (remembered in this browser), else the first project. */
export function scopeOf(me: Me, url: URL): Scope | undefined {
  const projects = projectsOf(me);
  const wanted = url.searchParams.get('project') ?? remembered.get('project');
  const project = projects.find((p) => p.id === wanted) ?? projects[0];
  if (!project) return undefined;
  const mode = url.searchParams.get('data_mode') ?? remembered.get('dataMode');
  const range = url.searchParams.get('range') ?? remembered.get('range');
  return {
    me,
    project,
    projects,
    dataMode: dataModes.includes(mode as DataMode) ? (mode as DataMode) : 'production',
    range: range !== null && range !== undefined && range in ranges ? (range as RangeName) : '7d',
    ...(url.searchParams.get('app') && { appId: url.searchParams.get('app')! }),
  };
}

/** Remembers a choice for the next visit without a link. */
export function remember(key: 'project' | 'dataMode' | 'range', value: string): void {
  remembered.set(key, value);
}
