/**
 * Where `POST /v1/issues/scan` runs a scan: in this process on the embedded
 * scheduler, or as the project's Temporal workflow in the distributed
 * deployment, so a manual scan and a scheduled one never run side by side.
 */
import type { Client, Connection } from '@temporalio/client';
import type { IssueService, ScanSummary } from '@strix/issues';
import type { Config } from './config.ts';

export interface IssueScanTrigger {
  scan(projectId: string): Promise<ScanSummary>;
  close(): Promise<void>;
}

export function issueScanTrigger(config: Config, issues: IssueService): IssueScanTrigger {
  const scheduler = config.scheduler;
  if (scheduler.kind === 'embedded') {
    return { scan: (projectId) => issues.scan(projectId), close: () => Promise.resolve() };
  }
  // Connected on first use: the api role serves everything else while Temporal is away.
  let connecting: Promise<{ connection: Connection; client: Client }> | undefined;
  const connect = () => {
    connecting ??= (async () => {
      const { Client, Connection } = await import('@temporalio/client');
      const connection = await Connection.connect({ address: scheduler.address });
      return { connection, client: new Client({ connection, namespace: scheduler.namespace }) };
    })().catch((error: unknown) => {
      connecting = undefined;
      throw error;
    });
    return connecting;
  };
  return {
    async scan(projectId) {
      const { client } = await connect();
      const { runIssueScan } = await import('@strix/workflows/temporal');
      return (await runIssueScan(client, projectId, scheduler.taskQueue)) as ScanSummary;
    },
    async close() {
      const opened = await connecting?.catch(() => undefined);
      await opened?.connection.close();
    },
  };
}
