import { ensureServices } from './services';

/** Runs once before all test files; environment set here reaches the test workers. */
export default async function globalSetup(): Promise<void> {
  await ensureServices();
}
