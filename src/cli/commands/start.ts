import type { Command } from 'commander';
import { enableLinearRegExp } from '../../expr/kernels/pattern.js';
import { checkTransportSecurity, parseEndpoint } from '../../node/endpoint.js';
import { ScanPool, scanThreads } from '../../query/scan-pool.js';

interface StartFlags {
  endpoint?: string;
  db?: string;
  config?: string;
  maxPartitionSize?: number;
  logLevel?: string;
  certfile?: string;
  keyfile?: string;
  clientCa?: string;
  insecure?: boolean;
  commands?: string[];
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run a node: HTTP API, sources, live queries (stops cleanly on SIGINT/SIGTERM)')
    .option('--log-level <level>', 'trace, debug, info, warn, error')
    .option('--certfile <file>', 'serve HTTPS with this certificate chain (PEM)')
    .option('--keyfile <file>', 'the private key (PEM) of --certfile')
    .option('--client-ca <file>', 'require client certificates signed by this CA (PEM)')
    .option('--insecure', 'allow plain HTTP on a non-loopback endpoint')
    .option(
      '--commands <command>',
      'run this command once the node is up, e.g. "spawn source zeek -r conn.log" (repeatable; VAST: vast.start.commands)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .action(async (_flags: StartFlags, cmd: Command) => {
      // -e (where to listen), -d, --config and --max-partition-size are global options (main.ts).
      const flags = cmd.optsWithGlobals() as StartFlags;
      // The server's dependencies load only for `vast start`, keeping client commands quick to start.
      const [
        { default: pino },
        { default: pretty },
        { loadConfig },
        { VastNode },
        { buildServer },
        { parseStartCommand, runStartCommands },
      ] = await Promise.all([
        import('pino'),
        import('pino-pretty'),
        import('../../node/config.js'),
        import('../../node/node.js'),
        import('../../node/server.js'),
        import('../../node/start-commands.js'),
      ]);
      const config = loadConfig(
        {
          endpoint: flags.endpoint,
          db: flags.db,
          'max-partition-size': flags.maxPartitionSize,
          'log-level': flags.logLevel,
          certfile: flags.certfile,
          keyfile: flags.keyfile,
          'client-ca': flags.clientCa,
          insecure: flags.insecure,
          'start-commands': flags.commands,
        },
        { file: flags.config },
      );
      // Before anything is opened: a node that would expose tokens in clear does not start at all.
      checkTransportSecurity(config.endpoint, config.certfile !== undefined, config.insecure);
      // A start command that cannot run is refused now, not logged after the node is up.
      const commands = config['start-commands'].map(parseStartCommand);
      // Structured JSON logs for machines; readable lines on a terminal.
      const log = process.stderr.isTTY
        ? pino({ level: config['log-level'] }, pretty({ destination: 2, colorize: true }))
        : pino({ level: config['log-level'] }, pino.destination(2));
      enableLinearRegExp();
      const node = new VastNode(config, log);
      await node.start();
      const app = buildServer(node);
      const { host, port } = parseEndpoint(config.endpoint);
      await app.listen({ host, port });
      // A node runs many queries: its scan workers load now, not in the first large query.
      ScanPool.get(scanThreads())?.warm();
      if (node.newAdminToken)
        process.stderr.write(`admin token (shown only now; use it as VAST_TOKEN): ${node.newAdminToken}\n`);
      log.info(
        { endpoint: config.endpoint, db: config.db, tls: config.certfile !== undefined },
        'node started',
      );
      await runStartCommands(node, commands);
      let stopping = false;
      const stop = async (signal: string) => {
        // A second signal while stopping means: now, without the final flush (the WAL is replayed on start).
        if (stopping) {
          log.warn({ signal }, 'second signal while stopping: exiting now');
          log.flush?.();
          process.exit(1);
        }
        stopping = true;
        log.info({ signal }, 'stopping');
        // A stop that cannot finish (a stuck disk) must not leave the process hanging forever.
        setTimeout(() => {
          log.error(
            'stop did not finish within 60 s; exiting without a final flush (the WAL is replayed on start)',
          );
          process.exit(1);
        }, 60_000).unref();
        await node.endLiveQueries();
        await app.close();
        await node.stop();
        log.info('stopped');
        log.flush?.();
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
    });
}
