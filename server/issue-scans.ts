/**
 * Where `POST /v1/issues/scan` runs a scan: in this process on the embedded
 * scheduler, or as the project's Temporal workflow in the distributed
 * deployment, so a manual scan and a scheduled one never run side by side.
 */
import type { Client, Connection } from '@temporalio/client';
import { ApiError } from '@strix/http';
import type { IssueService, ScanSummary } from '@strix/issues';
import type { Config } from './config.ts';

/** How long scan-now waits on a Temporal workflow before answering that it goes on without the caller. */
const temporalScanWaitMs = 120_000;

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
      let timer: NodeJS.Timeout | undefined;
      // With no worker polling, the workflow would wait for one forever; the request must not.
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const message = `the issue scan did not finish within ${temporalScanWaitMs / 1000} s (is a worker role running?); it carries on in the background`;
          reject(new ApiError('overloaded', message, 30));
        }, temporalScanWaitMs);
      });
      try {
        return (await Promise.race([runIssueScan(client, projectId, scheduler.taskQueue), late])) as ScanSummary;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      const opened = await connecting?.catch(() => undefined);
      await opened?.connection.close();
    },
  };
}
