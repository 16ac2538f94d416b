import type { Command } from 'commander';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('screen the bundled sample corpus with the embedded default (not built yet)')
    .action(() => {
      process.stdout.write(
        'shortlist demo: not built yet. The embedded screening (`shortlist screen`) lands with the\n' +
          'embedding and screening work; until then `npm test` shows what runs today.\n',
      );
    });
}
