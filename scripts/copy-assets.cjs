// Files the compiled apps read at run time (not TypeScript, so tsc does not emit them): the survey pages' views
// and message catalogs. Run by `npm run build`.
const { cpSync } = require('node:fs');
for (const dir of ['apps/gateway/src/landing/messages', 'apps/gateway/src/landing/views'])
  cpSync(dir, `dist/${dir}`, { recursive: true });
