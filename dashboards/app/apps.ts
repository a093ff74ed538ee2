import { useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';

export interface AppSummary {
  id: string;
  name: string;
}

/** The project's apps, for the app picker and app names; asked again when the project changes (none while loading or refused). */
export function useApps(projectId: string): AppSummary[] {
  const [apps, setApps] = useState<AppSummary[]>([]);
  useEffect(() => {
    let current = true;
    api<{ apps: AppSummary[] }>(`/v1/projects/${encodeURIComponent(projectId)}/apps`).then(
      (r) => current && setApps(r.apps),
      () => current && setApps([]),
    );
    return () => void (current = false);
  }, [projectId]);
  return apps;
}
