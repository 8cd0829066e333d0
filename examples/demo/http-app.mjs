#!/usr/bin/env node
// The demo's application: a tiny HTTP service that says which node serves it. Haven starts it
// on the node that holds the resource group (background start) and stops it on release.
// Usage: http-app.mjs --host ADDRESS --port PORT [--node NAME] [--pidfile FILE]
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    node: { type: 'string' },
    pidfile: { type: 'string' },
  },
});
const node = values.node ?? process.env.HAVEN_NODE ?? 'unknown';
const started = new Date().toISOString();
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`hello from ${node} (up since ${started})\n`);
});
server.listen(Number(values.port ?? 8080), values.host ?? '127.0.0.1', () => {
  if (values.pidfile) writeFileSync(values.pidfile, `${process.pid}\n`);
  console.log(`demo app of ${node} listening on ${values.host}:${values.port}`);
});
const stop = () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
