import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lineOf, verify, withGroups } from './testing.js';

describe('dependency cycles', () => {
  it('reports a parent-child cycle at the dependency that closes it, in order', () => {
    const text = withGroups(
      '- { type: parent-child, parent: rg_web, child: rg_c }\n- { type: parent-child, parent: rg_c, child: rg_db }',
    );
    const d = verify(text).expect('dependency-cycle', {
      path: 'dependencies[2]',
      line: lineOf(text, 'parent: rg_c, child: rg_db'),
    });
    assert.match(
      d.message,
      /parent-child dependencies form a cycle: rg_c -> rg_db -> rg_web -> rg_c/,
    );
    assert.equal(
      verify(text).all('dependency-cycle').length,
      1,
      'told once, not again as an order',
    );
  });

  it('reports a start order cycle made by start-after against parent-child', () => {
    const d = verify(withGroups('- { type: start-after, group: rg_db, after: rg_web }')).expect(
      'dependency-cycle',
      { path: 'dependencies[1]' },
    );
    assert.match(d.message, /start order forms a cycle: rg_web -> rg_db -> rg_web/);
  });

  it('reports a stop order cycle made by stop-after against parent-child', () => {
    const d = verify(withGroups('- { type: stop-after, group: rg_web, after: rg_db }')).expect(
      'dependency-cycle',
      { path: 'dependencies[1]' },
    );
    assert.match(d.message, /stop order forms a cycle: rg_db -> rg_web -> rg_db/);
  });

  it('reports a cycle of start-after alone', () => {
    const d = verify(
      withGroups(
        '- { type: start-after, group: rg_c, after: rg_d }\n- { type: start-after, group: rg_d, after: rg_c }',
      ),
    ).expect('dependency-cycle', { path: 'dependencies[2]' });
    assert.match(d.message, /rg_c -> rg_d -> rg_c/);
  });

  it('reports a cycle in each order graph, at every dependency that closes one', () => {
    const r = verify(
      withGroups(
        '- { type: start-after, group: rg_c, after: rg_d }\n- { type: start-after, group: rg_d, after: rg_c }\n- { type: stop-after, group: rg_c, after: rg_d }\n- { type: stop-after, group: rg_d, after: rg_c }\n- { type: start-after, group: rg_d, after: rg_c }',
      ),
    );
    assert.deepEqual(
      r.all('dependency-cycle').map((d) => d.path.join('.')),
      ['dependencies.2', 'dependencies.4', 'dependencies.5'],
    );
  });

  it('accepts orders that agree with parent-child', () => {
    const r = verify(
      withGroups(
        '- { type: start-after, group: rg_web, after: rg_db }\n- { type: stop-after, group: rg_db, after: rg_web }\n- { type: parent-child, parent: rg_web, child: rg_c }',
      ),
    );
    assert.deepEqual(r.problems(), []);
  });
});
