import type {
  CommentRow,
  FingerprintRow,
  IssueRow,
  IssueStateStore,
  IssueStateTx,
  UnmirroredIssueState,
  Versioned,
} from '@strix/contracts';
import { refuseNul, type ControlDb, type ControlSql } from './db.ts';

type ColumnType = 'text' | 'int8' | 'boolean';

/** One of the issue-state tables: its key within a project and its columns as the rows carry them. */
interface Table<Row> {
  name: string;
  key: keyof Row & string;
  columns: { readonly [K in keyof Row & string]: ColumnType };
}

const issues: Table<IssueRow> = {
  name: 'issues',
  key: 'issue_id',
  columns: {
    project_id: 'text', issue_id: 'text', app_id: 'text', is_dev: 'boolean', title: 'text', culprit: 'text', exception_type: 'text',
    grouping_config: 'text', status: 'text', resolved_at: 'int8', resolved_at_version: 'text', snoozed_until: 'int8', regressed_at: 'int8',
    regressed_in_version: 'text', created_at: 'int8', updated_at: 'int8', merged_into: 'text',
  },
};

const routes: Table<FingerprintRow> = {
  name: 'issue_fingerprints',
  key: 'fingerprint',
  columns: { project_id: 'text', fingerprint: 'text', issue_id: 'text', grouping_config: 'text', created_at: 'int8' },
};

const comments: Table<CommentRow> = {
  name: 'issue_comments',
  key: 'comment_id',
  columns: {
    project_id: 'text', comment_id: 'text', issue_id: 'text', author_type: 'text', author_name: 'text', body: 'text',
    created_at: 'int8', edited_at: 'int8', deleted_at: 'int8',
  },
};

const names = <Row>(t: Table<Row>) => Object.keys(t.columns);
const selectList = <Row>(t: Table<Row>) => names(t).join(', ');
const recordType = <Row>(t: Table<Row>) => Object.entries<ColumnType>(t.columns).map(([c, type]) => `${c} ${type}`).join(', ');

/** Microseconds of the store's clock: one clock for every process of a deployment. */
const nowMicros = '(extract(epoch FROM clock_timestamp()) * 1000000)::int8';

/**
 * Rows as one jsonb parameter (one statement per batch on both engines). The
 * last row of a key wins, as one upsert may not touch a row twice.
 */
function batch<Row extends { project_id: string }>(t: Table<Row>, rows: readonly Row[]): string {
  const byKey = new Map(rows.map((r) => [`${r.project_id}\u0000${String(r[t.key])}`, r]));
  // U+0000 would be refused by jsonb as an engine error: checked as every other parameter is.
  refuseNul([...byKey.values()]);
  return JSON.stringify([...byKey.values()]);
}

/**
 * Writes rows of `t`: new ones, and on a taken key either nothing or the whole
 * row. Each written row gets a new revision (at least one above its previous
 * one) and waits to be copied to the warehouse.
 */
async function write<Row extends { project_id: string }>(sql: ControlSql, t: Table<Row>, rows: readonly Row[], onConflict: 'nothing' | 'update'): Promise<void> {
  if (rows.length === 0) return;
  const cols = names(t);
  const conflict =
    onConflict === 'nothing'
      ? 'DO NOTHING'
      : `DO UPDATE SET ${cols.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}, revision = greatest(t.revision + 1, EXCLUDED.revision), mirrored = false`;
  await sql.query(
    `INSERT INTO ${t.name} AS t (${cols.join(', ')}, revision, mirrored)
     SELECT ${cols.join(', ')}, ${nowMicros}, false FROM jsonb_to_recordset($1::jsonb) AS r(${recordType(t)})
     ON CONFLICT (project_id, ${t.key}) ${conflict}`,
    [batch(t, rows)],
  );
}

/** Issue state on one connection or transaction of the control plane. */
class IssueStateSql implements IssueStateTx {
  constructor(protected readonly sql: ControlSql) {}

  issues(projectId: string, ids: readonly string[]): Promise<IssueRow[]> {
    return this.byKeys(issues, projectId, ids, '');
  }

  lockIssues(projectId: string, ids: readonly string[]): Promise<IssueRow[]> {
    // One order for every locker, so two transactions locking overlapping sets never deadlock.
    return this.byKeys(issues, projectId, ids, 'ORDER BY issue_id COLLATE "C" FOR UPDATE');
  }

  routes(projectId: string, fingerprints: readonly string[]): Promise<FingerprintRow[]> {
    return this.byKeys(routes, projectId, fingerprints, '');
  }

  async routesOf(projectId: string, issueIds: readonly string[]): Promise<FingerprintRow[]> {
    if (issueIds.length === 0) return [];
    return this.sql.query<FingerprintRow>(
      `SELECT ${selectList(routes)} FROM issue_fingerprints WHERE project_id = $1 AND issue_id = ANY($2::text[])
       ORDER BY created_at, fingerprint COLLATE "C"`,
      [projectId, [...issueIds]],
    );
  }

  async comments(projectId: string, issueIds: readonly string[], includeDeleted = false): Promise<CommentRow[]> {
    if (issueIds.length === 0) return [];
    return this.sql.query<CommentRow>(
      `SELECT ${selectList(comments)} FROM issue_comments WHERE project_id = $1 AND issue_id = ANY($2::text[]) ${includeDeleted ? '' : 'AND deleted_at IS NULL'}
       ORDER BY created_at, comment_id COLLATE "C"`,
      [projectId, [...issueIds]],
    );
  }

  async comment(projectId: string, commentId: string): Promise<CommentRow | undefined> {
    const [row] = await this.byKeys(comments, projectId, [commentId], '');
    return row;
  }

  insertIssues(rows: readonly IssueRow[]): Promise<void> {
    return write(this.sql, issues, rows, 'nothing');
  }

  saveIssues(rows: readonly IssueRow[]): Promise<void> {
    return write(this.sql, issues, rows, 'update');
  }

  insertRoutes(rows: readonly FingerprintRow[]): Promise<void> {
    return write(this.sql, routes, rows, 'nothing');
  }

  saveRoutes(rows: readonly FingerprintRow[]): Promise<void> {
    return write(this.sql, routes, rows, 'update');
  }

  saveComments(rows: readonly CommentRow[]): Promise<void> {
    return write(this.sql, comments, rows, 'update');
  }

  private async byKeys<Row>(t: Table<Row>, projectId: string, keys: readonly string[], tail: string): Promise<Row[]> {
    if (keys.length === 0) return [];
    return this.sql.query<Row>(`SELECT ${selectList(t)} FROM ${t.name} WHERE project_id = $1 AND ${t.key} = ANY($2::text[]) ${tail}`, [projectId, [...new Set(keys)]]);
  }
}

/** The issue state of every project (`IssueStateStore`), on the control plane's store. */
export class IssueStates extends IssueStateSql implements IssueStateStore {
  constructor(private readonly db: ControlDb) {
    super(db);
  }

  transaction<T>(work: (tx: IssueStateTx) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => work(new IssueStateSql(tx)));
  }

  async unmirrored(limit: number, projectId?: string): Promise<UnmirroredIssueState> {
    const pending = <Row>(t: Table<Row>) =>
      this.db.query<Versioned<Row>>(
        `SELECT ${selectList(t)}, revision AS version FROM ${t.name} WHERE NOT mirrored ${projectId === undefined ? '' : 'AND project_id = $2'} LIMIT $1`,
        projectId === undefined ? [limit] : [limit, projectId],
      );
    return { issues: await pending(issues), routes: await pending(routes), comments: await pending(comments) };
  }

  async markMirrored(rows: UnmirroredIssueState): Promise<void> {
    const mark = async <Row extends { project_id: string }>(t: Table<Row>, copied: readonly Versioned<Row>[]) => {
      if (copied.length === 0) return;
      const keys = copied.map((r) => ({ project_id: r.project_id, key: r[t.key], version: r.version }));
      await this.db.query(
        `UPDATE ${t.name} AS t SET mirrored = true FROM jsonb_to_recordset($1::jsonb) AS r(project_id text, key text, version int8)
         WHERE t.project_id = r.project_id AND t.${t.key} = r.key AND t.revision = r.version`,
        [JSON.stringify(keys)],
      );
    };
    await mark(issues, rows.issues);
    await mark(routes, rows.routes);
    await mark(comments, rows.comments);
  }

  deletedComments(cutoff: number, limit: number): Promise<{ project_id: string; comment_id: string }[]> {
    return this.db.query('SELECT project_id, comment_id FROM issue_comments WHERE deleted_at < $1 ORDER BY deleted_at LIMIT $2', [cutoff, limit]);
  }

  async purgeComments(rows: readonly { project_id: string; comment_id: string }[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query(
      `DELETE FROM issue_comments AS t USING jsonb_to_recordset($1::jsonb) AS r(project_id text, comment_id text)
       WHERE t.project_id = r.project_id AND t.comment_id = r.comment_id AND t.deleted_at IS NOT NULL`,
      [JSON.stringify(rows)],
    );
  }
}

/** Issue state an older Strix kept in the warehouse, with each row's version there. */
export interface LegacyIssueState {
  issues: Versioned<IssueRow>[];
  routes: Versioned<FingerprintRow>[];
  comments: Versioned<CommentRow>[];
}

const issueImport = 'issue state';
const issueImportLock = 7_311_205;
const importChunk = 2_000;

/** Whether the warehouse's issue state was copied here already (or found empty), so it need not be read again. */
export async function issueStateImported(db: ControlSql): Promise<boolean> {
  return (await db.query('SELECT 1 FROM warehouse_imports WHERE name = $1', [issueImport])).length > 0;
}

/**
 * Copies an older install's issue state from the warehouse, once (two roles
 * starting together: the second finds it done), keeping ids, times and the
 * versions the rows had there, so they count as already copied back. Rows of
 * projects the control plane does not hold are skipped. Returns the counts
 * copied, or undefined when an earlier start copied them.
 */
export async function importLegacyIssueState(db: ControlDb, state: LegacyIssueState): Promise<Record<keyof LegacyIssueState, number> | undefined> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [issueImportLock]);
    if (await issueStateImported(tx)) return undefined;
    const copy = async <Row extends { project_id: string }>(t: Table<Row>, rows: readonly Versioned<Row>[]) => {
      let copied = 0;
      const cols = names(t);
      for (let i = 0; i < rows.length; i += importChunk) {
        const inserted = await tx.query(
          `INSERT INTO ${t.name} (${cols.join(', ')}, revision, mirrored)
           SELECT ${cols.map((c) => `r.${c}`).join(', ')}, r.version, true FROM jsonb_to_recordset($1::jsonb) AS r(${recordType(t)}, version int8)
           WHERE EXISTS (SELECT 1 FROM projects p WHERE p.id = r.project_id)
           ON CONFLICT DO NOTHING RETURNING 1`,
          [batch(t, rows.slice(i, i + importChunk))],
        );
        copied += inserted.length;
      }
      return copied;
    };
    const counts = { issues: await copy(issues, state.issues), routes: await copy(routes, state.routes), comments: await copy(comments, state.comments) };
    await tx.query('INSERT INTO warehouse_imports (name, details) VALUES ($1, $2::jsonb)', [issueImport, JSON.stringify(counts)]);
    return counts;
  });
}
