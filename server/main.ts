import { ConfigError, loadConfig } from './config.ts';
import { startStrix } from './strix.ts';

/**
 * Analysts' SQL runs inside this process (chDB is a library, not a server): a
 * query that escaped its read-only, project-scoped sandbox would act with this
 * process's rights. Root would make that the whole machine, so it takes an
 * explicit opt-in (containers in CI, for example).
 */
const rootRefusal = `Strix refuses to run as root: analysts' SQL (/clickhouse) runs inside this process, so a query that escaped its sandbox would have root's rights over this machine.
Run Strix as an ordinary user (deploy/systemd runs it as user strix), or set STRIX_ALLOW_ROOT=1 to accept the risk.`;

async function main(): Promise<void> {
  const config = loadConfig();
  if (process.getuid?.() === 0 && !config.allowRoot) {
    console.error(rootRefusal);
    process.exit(1);
  }
  // chDB runs each query and insert on libuv's pool, which is sized once, before any code here runs:
  // analyst queries holding every thread would stall the pipeline's inserts and every other read.
  const pool = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  if (config.sql.maxConcurrent + 2 > pool) {
    console.warn(`[strix] UV_THREADPOOL_SIZE=${pool} leaves fewer than 2 threads beside ${config.sql.maxConcurrent} analyst queries (STRIX_SQL_MAX_CONCURRENT); start Strix with UV_THREADPOOL_SIZE=${config.sql.maxConcurrent + 4}, as npm start does`);
  }
  const strix = await startStrix(config);
  const address = await strix.app.listen({ port: config.port, host: config.host });
  const { credentials, createdCredentials } = strix;
  const deployment = config.role === 'all' ? 'embedded' : `${config.role} role`;
  // One write, "listening" last: supervisors and tests wait for that line.
  console.log(
    [
      `data directory: ${config.dataDir}`,
      ...(credentials
        ? [
            `${createdCredentials ? 'created' : 'using'} default project ${credentials.projectId}, app ${credentials.appId}`,
            `  client key (ingest): ${credentials.clientKey}`,
            `  agent key  (query):  ${credentials.agentKey}`,
            `  saved in ${config.dataDir}/credentials.json`,
          ]
        : []),
      // A fresh link on the first start and when asked (STRIX_PRINT_SIGNIN=1); a link printed before may be used or expired.
      ...(credentials?.signInUrl && (createdCredentials || config.printSignIn)
        ? [`owner sign-in link (one use, 24 hours; also in credentials.json as signInUrl):`, `  ${credentials.signInUrl}`]
        : []),
      `Strix (${deployment}) listening on ${address}`,
    ].join('\n'),
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: draining and stopping`);
    strix.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('shutdown failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
