/** The issue API's answers, as the dashboard reads them (api/routes/issue-schemas.ts defines them). */
export const statuses = ['new', 'in_progress', 'resolved', 'silenced', 'regressed'] as const;
export type Status = (typeof statuses)[number];

export interface Issue {
  id: string;
  app_id: string;
  is_dev: boolean;
  title: string;
  culprit: string;
  exception_type: string;
  status: Status;
  allowed_statuses: Status[];
  resolved_at: string | null;
  resolved_at_version: string | null;
  regressed_at: string | null;
  regressed_in_version: string | null;
  snoozed_until: string | null;
  created_at: string;
  occurrences: number;
  users: number;
  first_seen: string | null;
  last_seen: string | null;
  last_app_version: string | null;
}

export interface Comment {
  id: string;
  author_type: 'user' | 'agent';
  author_name: string;
  body: string;
  created_at: string;
  edited_at: string | null;
}

export interface Occurrence {
  fingerprint: string;
  session_id: string;
  user_id: string;
  app_version: string;
  environment: string;
  first_seen: string;
  last_seen: string;
}

export interface IssueDetail {
  issue: Issue;
  fingerprints: { fingerprint: string; grouping_config: string; created_at: string }[];
  occurrences: Occurrence[];
  comments: Comment[];
  session: { session_id: string | null; events: { event_id: string; timestamp: string; name: string; level: string; message: string }[] };
  grouping_explanation: { summary: string } | null;
}

/** A time as people read it, in their own zone. */
export const when = (iso: string | null): string => (iso ? new Date(iso).toLocaleString() : '—');
export const statusWords: Record<Status, string> = { new: 'New', in_progress: 'In progress', resolved: 'Resolved', silenced: 'Silenced', regressed: 'Regressed' };
