#!/usr/bin/env node
// The `haven` executable: a thin shim over the compiled CLI.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error(
    'haven: the compiled program is missing (dist/). Run `npm run build` in the Haven checkout.',
  );
  process.exit(1);
}
const { run } = await import(main.href);
process.exitCode = await run(process.argv);
