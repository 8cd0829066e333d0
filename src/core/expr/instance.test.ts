import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkInstance, MAX_INSTANCE_LENGTH, parseInstance, type Instance } from './instance.js';
import { findVariable, type ResourceVariable } from './variables.js';

function variable(name: string): ResourceVariable {
  const v = findVariable(name);
  assert.ok(v, name);
  return v;
}

function parsed(input: Parameters<typeof parseInstance>[0]): Instance {
  const r = parseInstance(input);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.instance;
}

describe('parseInstance', () => {
  it("reads the reference's string form", () => {
    assert.deepEqual(parsed('NodeNum=6;ProgName=upr6;UserName=root'), {
      NodeNum: '6',
      ProgName: 'upr6',
      UserName: 'root',
    });
  });

  it('ignores spaces around fields and values, empty elements and a trailing ;', () => {
    assert.deepEqual(parsed(' name = upr6 ;; user=root; '), { name: 'upr6', user: 'root' });
    assert.deepEqual(parsed(''), {});
    assert.deepEqual(parsed('  '), {});
  });

  it('splits at the first =, so a value may contain =', () => {
    assert.deepEqual(parsed('mount=/srv/a=b'), { mount: '/srv/a=b' });
  });

  it('reads the map form, numbers included (YAML reads node: 6 as a number)', () => {
    assert.deepEqual(parsed({ mount: ' /tmp ', node: 6 }), { mount: '/tmp', node: '6' });
    assert.deepEqual(parsed({}), {});
  });

  it('keeps a field named __proto__ as plain data', () => {
    const instance = parsed('__proto__=x');
    assert.equal(Object.getPrototypeOf(instance), Object.prototype);
    assert.deepEqual(Object.keys(instance), ['__proto__']);
  });

  const errors: [input: unknown, type: string, message: string][] = [
    ['mount', 'missing-equals', "element 1 'mount' has no '=': write field=value, e.g. mount=/tmp"],
    [
      'name=a;user',
      'missing-equals',
      "element 2 'user' has no '=': write field=value, e.g. mount=/tmp",
    ],
    ['=/tmp', 'empty-field-name', "element 1 '=/tmp' has no field name before '='"],
    ['mount=/a;mount=/b', 'duplicate-field', "element 2 'mount=/b' repeats the field 'mount'"],
    [
      'x'.repeat(MAX_INSTANCE_LENGTH + 1),
      'too-long',
      'the instance is 1001 characters long; at most 1000 are allowed',
    ],
    [{ mount: true }, 'invalid-value', "instance field 'mount' must be text, not boolean true"],
    [{ mount: ['/a'] }, 'invalid-value', "instance field 'mount' must be text, not a list"],
    [
      { node: Infinity },
      'invalid-value',
      "instance field 'node' must be text, not number Infinity",
    ],
    [
      null,
      'not-an-instance',
      "an instance must be text like 'mount=/tmp' or a map of fields, not null",
    ],
    [
      ['mount=/tmp'],
      'not-an-instance',
      "an instance must be text like 'mount=/tmp' or a map of fields, not a list",
    ],
    [
      7,
      'not-an-instance',
      "an instance must be text like 'mount=/tmp' or a map of fields, not number 7",
    ],
  ];
  for (const [input, type, message] of errors) {
    it(`refuses ${JSON.stringify(input).slice(0, 30)}: ${type}`, () => {
      const r = parseInstance(input as string);
      assert.equal(r.ok, false);
      assert.equal(r.error.type, type);
      assert.equal(r.error.message, message);
    });
  }
});

describe('checkInstance', () => {
  it('accepts a complete instance', () => {
    assert.deepEqual(
      checkInstance(variable('process.count'), { name: 'upr6', user: 'root', node: 'n1' }),
      [],
    );
    assert.deepEqual(checkInstance(variable('fs.used_percent'), { mount: '/tmp' }), []);
    assert.deepEqual(checkInstance(variable('memory.free_percent'), {}), []);
  });

  it("translates the reference's PSSP field names", () => {
    const problems = checkInstance(
      variable('process.count'),
      parsed('NodeNum=*;ProgName=upr6;UserName=root'),
    );
    assert.deepEqual(
      problems.map((p) => [p.type, p.field, p.suggestion]),
      [
        ['unknown-field', 'NodeNum', 'node'],
        ['unknown-field', 'ProgName', 'name'],
        ['unknown-field', 'UserName', 'user'],
        ['missing-field', 'name', undefined],
      ],
    );
    assert.equal(
      problems[1]?.message,
      "process.count has no instance field 'ProgName'; the PSSP field ProgName is 'name' in Haven (its fields are name, user, node)",
    );
  });

  it('suggests the field meant by a typo', () => {
    const [p] = checkInstance(variable('fs.used_percent'), { mnt: '/tmp', mount: '/tmp' });
    assert.deepEqual(p, {
      type: 'unknown-field',
      field: 'mnt',
      message:
        "fs.used_percent has no instance field 'mnt'; did you mean 'mount'? (its fields are mount, node)",
      suggestion: 'mount',
    });
    const [q] = checkInstance(variable('fs.used_percent'), { Mount: '/tmp' });
    assert.equal(q?.suggestion, 'mount');
  });

  it('lists the fields when nothing is close', () => {
    assert.deepEqual(checkInstance(variable('memory.free_percent'), { mount: '/tmp' }), [
      {
        type: 'unknown-field',
        field: 'mount',
        message: "memory.free_percent has no instance field 'mount' (its fields are node)",
      },
    ]);
  });

  it('reports a missing required field with what it means', () => {
    assert.deepEqual(checkInstance(variable('fs.used_percent'), {}), [
      {
        type: 'missing-field',
        field: 'mount',
        message:
          "fs.used_percent needs the instance field 'mount': Mount point of the file system, e.g. /tmp, or * for every mounted file system.",
      },
    ]);
  });

  it('reports an empty value', () => {
    const [p] = checkInstance(variable('fs.used_percent'), parsed('mount='));
    assert.equal(p?.type, 'empty-value');
  });

  it('accepts * only where a field allows it', () => {
    assert.deepEqual(checkInstance(variable('fs.used_percent'), { mount: '*', node: '*' }), []);
    const [p] = checkInstance(variable('process.count'), { name: '*' });
    assert.equal(p?.type, 'wildcard-not-allowed');
    assert.match(p.message, /^instance field 'name' of process.count does not accept '\*'/);
  });
});
