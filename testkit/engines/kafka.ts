/**
 * A real single-node Apache Kafka (KRaft: broker and controller in one JVM) for
 * tests and benchmarks, with no manual steps: the broker jars come from Maven
 * Central through kafka-pom.xml into a cache outside the repository, and the
 * broker runs from a temporary data directory on free loopback ports.
 *
 *   node --import tsx test/engines/kafka.ts     starts one and stays up until Ctrl-C
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { exists, lastLines } from './engine-cli.ts';
import { Admin } from '@platformatic/kafka';

/** The newest 4.x on Maven Central when this was written; kafka-pom.xml takes it as -Dkafka.version. */
export const KAFKA_VERSION = '4.4.0';

const POM = join(dirname(fileURLToPath(import.meta.url)), 'kafka-pom.xml');
const LOG_TAIL_LINES = 40;

export interface KafkaEngineOptions {
  version?: string;
  /** How long to wait for the broker to answer a metadata request (default 120 s; a cold JVM on 2 busy cores is slow). */
  startTimeoutMs?: number;
  /** Extra or overriding server.properties entries. */
  properties?: Record<string, string>;
  /** Receives the broker's stdout and stderr lines (they always go to <dataDir>/broker.log too). */
  onLog?: (line: string) => void;
}

export interface KafkaEngine {
  /** host:port of the PLAINTEXT listener. */
  readonly brokers: string[];
  readonly dataDir: string;
  /** The broker JVM's process id while it runs (benchmarks read its CPU time). */
  pid(): number | undefined;
  /** SIGTERM (controlled shutdown) and wait for the JVM to exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait: a crash, nothing flushed. */
  kill(): Promise<void>;
  /** Starts the broker again on the same ports and data directory (stopping it first if it runs). */
  restart(): Promise<void>;
  /** Kills the broker if it runs and deletes its data directory. */
  cleanup(): Promise<void>;
}

/** The broker's classpath directory, copied from Maven Central on first use. */
export async function ensureKafkaLibs(version = KAFKA_VERSION): Promise<string> {
  const root = join(process.env.STRIX_ENGINE_CACHE ?? join(homedir(), '.cache', 'strix-engines'), `kafka-${version}`);
  const libs = join(root, 'libs');
  // Written last: a copy interrupted half way has no marker and is redone.
  const marker = join(root, 'COMPLETE');
  if (await exists(marker)) return libs;
  await mkdir(root, { recursive: true });
  // Copy into a private directory and rename it into place, so two test files starting at once cannot mix their copies.
  const staging = await mkdtemp(join(root, 'libs.tmp-'));
  const mvn = spawnSync(
    'mvn',
    ['-q', '-B', '-f', POM, `-Dkafka.version=${version}`, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${staging}`],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (mvn.error || mvn.status !== 0) {
    await rm(staging, { recursive: true, force: true });
    const output = `${mvn.stdout ?? ''}${mvn.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(
      `could not fetch Apache Kafka ${version} from Maven Central with mvn (${mvn.error?.message ?? `exit ${mvn.status}`}); ` +
        `is Maven installed and the registry reachable?\n${output}`,
    );
  }
  if (await exists(marker)) {
    await rm(staging, { recursive: true, force: true }); // another process finished first
    return libs;
  }
  await rm(libs, { recursive: true, force: true });
  await rename(staging, libs);
  await writeFile(marker, `${new Date().toISOString()}\n`);
  return libs;
}

export async function startKafka(options: KafkaEngineOptions = {}): Promise<KafkaEngine> {
  const version = options.version ?? KAFKA_VERSION;
  const libs = await ensureKafkaLibs(version);
  const dataDir = await mkdtemp(join(tmpdir(), 'strix-kafka-'));
  const [brokerPort, controllerPort] = await freePorts(2);
  const brokers = [`127.0.0.1:${brokerPort}`];
  const properties: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${brokerPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': join(dataDir, 'kraft'),
    // One node: every internal topic must fit on it.
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    // Tests join groups often; the default 3 s delay before the first rebalance only slows them.
    'group.initial.rebalance.delay.ms': '0',
    // Topics are created explicitly (KafkaLog does it at start); a typo should fail, not create a topic.
    'auto.create.topics.enable': 'false',
    ...options.properties,
  };
  const config = join(dataDir, 'server.properties');
  await writeFile(config, Object.entries(properties).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const brokerLog = join(dataDir, 'broker.log');
  const classpath = `${libs}/*`;

  const clusterId = randomBytes(16).toString('base64url');
  // `--cluster-id=<id>` in one argument: a base64url id may start with "-", which the tool's parser would take for an option.
  const format = spawnSync('java', ['-cp', classpath, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', config], {
    encoding: 'utf8',
  });
  if (format.error || format.status !== 0) {
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(`formatting Kafka storage failed (${format.error?.message ?? `exit ${format.status}`}): ${tail(format.stderr || format.stdout || '')}`);
  }

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const startTimeoutMs = options.startTimeoutMs ?? 120_000;

  const launch = async (): Promise<void> => {
    const out = createWriteStream(brokerLog, { flags: 'a' });
    const proc = spawn('java', ['-Xmx512m', '-Xms128m', '-cp', classpath, 'kafka.Kafka', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    live.add(proc);
    for (const stream of [proc.stdout, proc.stderr]) {
      stream.pipe(out, { end: false });
      if (options.onLog) {
        const onLog = options.onLog;
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => chunk.split('\n').filter(Boolean).forEach(onLog));
      }
    }
    let exitInfo: string | undefined;
    exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        exitInfo = `exit ${code ?? signal}`;
        live.delete(proc);
        out.end();
        if (child === proc) child = undefined;
        resolve();
      });
    });
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (exitInfo) throw new Error(`Kafka broker exited during start-up (${exitInfo}); tail of ${brokerLog}:\n${await logTail(brokerLog)}`);
      if (await answersMetadata(brokers)) return;
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        await exited;
        throw new Error(`Kafka broker did not answer a metadata request on ${brokers[0]} within ${startTimeoutMs} ms; tail of ${brokerLog}:\n${await logTail(brokerLog)}`);
      }
      await sleep(250);
    }
  };

  const signalAndWait = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    if (!proc) return;
    proc.kill(signal);
    const graceful = await Promise.race([exited.then(() => true), sleep(60_000, false, { ref: false })]);
    if (!graceful) {
      proc.kill('SIGKILL');
      await exited;
    }
  };

  try {
    await launch();
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }

  return {
    brokers,
    dataDir,
    pid: () => child?.pid,
    stop: () => signalAndWait('SIGTERM'),
    kill: () => signalAndWait('SIGKILL'),
    restart: async () => {
      await signalAndWait('SIGTERM');
      await launch();
    },
    cleanup: async () => {
      await signalAndWait('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Brokers still running; killed if this process exits without cleaning up (a failed test run must not leak JVMs). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of live) proc.kill('SIGKILL');
});

async function answersMetadata(brokers: string[]): Promise<boolean> {
  const admin = new Admin({ clientId: 'strix-engine-probe', bootstrapBrokers: brokers, retries: 0, timeout: 2000, connectTimeout: 2000, requestTimeout: 2000 });
  try {
    const metadata = await admin.metadata({ topics: [] });
    return metadata.brokers.size > 0;
  } catch {
    return false;
  } finally {
    await admin.close().catch(() => undefined);
  }
}

async function freePorts(count: number): Promise<number[]> {
  // Held open together so the same port is not handed out twice.
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

const tail = (text: string) => lastLines(text, LOG_TAIL_LINES);

async function logTail(path: string): Promise<string> {
  return tail(await readFile(path, 'utf8').catch(() => '(no log written)'));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  const engine = await startKafka();
  console.log(`Kafka ${KAFKA_VERSION} ready in ${Date.now() - started} ms`);
  console.log(`brokers: ${engine.brokers.join(',')}`);
  console.log(`data:    ${engine.dataDir} (deleted on exit); Ctrl-C to stop`);
  const shutdown = (): void => {
    void engine.stop().then(() => engine.cleanup()).then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
