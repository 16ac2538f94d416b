import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig, requireSetting } from '@shortlist/config';
import { JobQueues, checkRedis, createRedisConnection, jobIdOf } from '@shortlist/queue';
import { runCommand } from '../run-command';

export function registerRescore(program: Command): void {
  program
    .command('rescore')
    .description(
      'start the nightly re-score now (the workers run it): embed what lacks vectors, then a new run per open posting',
    )
    .requiredOption('--now', 'run it now rather than at the scheduled time')
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
      runCommand(async (options: { now: boolean; day?: string }) => {
        const config = loadConfig();
        const url = requireSetting(config.redis.url, 'REDIS_URL');
        const redis = createRedisConnection(url, { role: 'producer' });
        try {
          await checkRedis(redis, url);
          const day = options.day ?? new Date().toISOString().slice(0, 10);
          const queues = new JobQueues(redis, config.redis.prefix);
          await queues.enqueue('nightly', { day });
          await queues.close();
          process.stdout.write(
            `queued ${jobIdOf('nightly', { day })}: the workers re-score every open posting\n`,
          );
        } finally {
          redis.disconnect();
        }
      }),
    );
}
