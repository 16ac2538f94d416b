import { InvalidArgumentError, type Command } from 'commander';
import { ExitCode, loadSections, requireSetting } from '@shortlist/config';
import { JobQueues, checkRedis, createRedisConnection, jobIdOf } from '@shortlist/queue';
import { runCommand } from '../run-command';

export function registerRescore(program: Command): void {
  program
    .command('rescore')
    .description(
      'start the nightly re-score now (the workers run it): embed what lacks vectors, then a new run per open posting',
    )
    .option('--now', 'run it now rather than at the scheduled time')
    .option(
      '--unschedule',
      'remove the nightly schedule (workers with NIGHTLY_CRON set add it back when they start)',
    )
    .option(
      '--day <YYYY-MM-DD>',
      'the day the runs count for (one run per posting and day)',
      (value: string) => {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(value))
          throw new InvalidArgumentError('expected a day as YYYY-MM-DD');
        return value;
      },
    )
    .action(
      runCommand(async (options: { now?: boolean; unschedule?: boolean; day?: string }) => {
        if (!options.now === !options.unschedule) {
          process.stderr.write('shortlist: rescore needs --now or --unschedule\n');
          process.exitCode = ExitCode.usage;
          return;
        }
        const config = loadSections(['redis']);
        const url = requireSetting(config.redis.url, 'REDIS_URL');
        const redis = createRedisConnection(url, { role: 'producer' });
        try {
          await checkRedis(redis, url);
          const queues = new JobQueues(redis, config.redis.prefix);
          try {
            if (options.unschedule) {
              const removed = await queues.queue('nightly').removeJobScheduler('nightly');
              process.stdout.write(
                removed ? 'nightly schedule removed\n' : 'there was no nightly schedule\n',
              );
              return;
            }
            const day = options.day ?? new Date().toISOString().slice(0, 10);
            await queues.enqueue('nightly', { day });
            process.stdout.write(
              `queued ${jobIdOf('nightly', { day })}: the workers re-score every open posting\n`,
            );
          } finally {
            await queues.close();
          }
        } finally {
          redis.disconnect();
        }
      }),
    );
}
