import { ConfigError, loadConfig } from './config.ts';
import { startStrix } from './strix.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const strix = await startStrix(config);
  const address = await strix.app.listen({ port: config.port, host: config.host });
  const { credentials, createdCredentials } = strix;
  console.log(`Strix (embedded) listening on ${address}`);
  console.log(`data directory: ${config.dataDir}`);
  console.log(`${createdCredentials ? 'created' : 'using'} default project ${credentials.projectId}, app ${credentials.appId}`);
  console.log(`  client key (ingest): ${credentials.clientKey}`);
  console.log(`  agent key  (query):  ${credentials.agentKey}`);
  console.log(`  saved in ${config.dataDir}/credentials.json`);

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
