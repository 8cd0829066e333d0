// A small valid cluster definition for the loader's tests, as data and as YAML text.
import { stringify } from 'yaml';

export function baseDefinition(): Record<string, unknown> {
  return {
    cluster: { name: 'demo', id: 42 },
    tunables: { heartbeat: { interval: '200ms', sensitivity: 4 } },
    networks: [
      { name: 'net_a', type: 'ether', ipat: 'alias' },
      { name: 'net_b', type: 'ether' },
      { name: 'disk1', type: 'diskhb' },
    ],
    nodes: [1, 2].map((n) => ({
      name: `node${n}`,
      id: n,
      interfaces: [
        { network: 'net_a', device: 'eth0', address: `192.0.2.${n}/24` },
        { network: 'net_b', device: 'eth1', address: `198.51.100.${n}/24` },
        { network: 'disk1', device: '/dev/disk/by-id/hb' },
      ],
    })),
    resources: {
      serviceIps: [{ name: 'svc', network: 'net_a', address: '203.0.113.10/24' }],
      applications: [
        { name: 'app', start: '/usr/local/bin/app start', stop: '/usr/local/bin/app stop' },
      ],
    },
    resourceGroups: [
      { name: 'rg', nodes: ['node1', 'node2'], policy: 'cascading', resources: ['svc', 'app'] },
    ],
  };
}

export function baseYaml(): string {
  return stringify(baseDefinition());
}

/** The base definition with one user event (tmp_full) whose program is in `programFile`. */
export function yamlWithProgramFile(programFile: string): string {
  return (
    baseYaml() +
    [
      'userEvents:',
      '  - name: tmp_full',
      '    resourceVariable: fs.used_percent',
      '    instance: { mount: /tmp }',
      '    predicate: X > 90',
      `    programFile: ${programFile}`,
      '',
    ].join('\n')
  );
}
