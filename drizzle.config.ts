import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` turns changes of libs/db/src/schema.ts into a new SQL migration in migrations/.
export default defineConfig({
  dialect: 'postgresql',
  schema: './libs/db/src/schema.ts',
  out: './migrations',
});
