// Checks a parsed predicate against the variable it watches, so that a predicate that could
// only ever fail at run time (X@3 on a three-field value, X on a structured one, a string
// compared with a percentage) is refused when the configuration is verified, not discovered
// on the day the event should have fired.
//
// It is stricter than evaluate(): it also checks the right side of && and ||, which C's
// short-circuit may never evaluate. Property-tested: a predicate with no problems never
// gets a type or field error from evaluate() on a sample shaped as the variable describes.

import type { Expr, VariableRef } from './ast.js';
import { printPredicate, printVariable } from './print.js';
import type { FieldKind, ResourceVariable } from './variables.js';

export type PredicateProblemType =
  'needs-field' | 'not-structured' | 'no-such-field' | 'type-mismatch';

export interface PredicateProblem {
  readonly type: PredicateProblemType;
  readonly message: string;
}

/** A static type; `unknown` after a problem already reported, so one mistake is told once. */
type StaticType = FieldKind | 'unknown';

export function checkPredicate(
  variable: ResourceVariable,
  expr: Expr,
): readonly PredicateProblem[] {
  const problems: PredicateProblem[] = [];
  const report = (type: PredicateProblemType, message: string): 'unknown' => {
    problems.push({ type, message });
    return 'unknown';
  };
  const fieldList = variable.fields
    .map((f) => `X@${f.index} (${f.description.replace(/\.$/, '').toLowerCase()})`)
    .join(', ');

  function variableType(ref: VariableRef): StaticType {
    const name = printVariable(ref);
    if (ref.field === undefined) {
      if (variable.kind === 'number') return 'number';
      return report(
        'needs-field',
        `${name}: ${variable.name} is structured; name a field: ${fieldList}`,
      );
    }
    if (variable.kind !== 'structured') {
      const whole = ref.when === 'previous' ? 'X@P' : 'X';
      return report(
        'not-structured',
        `${name}: ${variable.name} is a single number with no fields; write ${whole}`,
      );
    }
    const field = variable.fields[ref.field];
    if (!field) {
      return report(
        'no-such-field',
        `${name}: ${variable.name} has no field ${ref.field}; its fields are ${fieldList}`,
      );
    }
    return field.kind;
  }

  function needNumber(e: Expr, t: StaticType, role: string): void {
    if (t === 'string' || t === 'list') {
      report('type-mismatch', `${role} ${printPredicate(e)} is a ${t}, not a number`);
    }
  }

  function infer(e: Expr): StaticType {
    switch (e.type) {
      case 'number':
      case 'string':
        return e.type;
      case 'variable':
        return variableType(e);
      case 'unary':
        needNumber(e.operand, infer(e.operand), `the operand of '${e.op}',`);
        return 'number';
      case 'binary': {
        const l = infer(e.left);
        const r = infer(e.right);
        if (e.op === '==' || e.op === '!=') {
          const comparable = l === r && (l === 'number' || l === 'string');
          if (!comparable && l !== 'unknown' && r !== 'unknown') {
            report(
              'type-mismatch',
              `'${e.op}' compares two numbers or two strings, but ${printPredicate(e.left)} is a ${l} and ${printPredicate(e.right)} is a ${r}`,
            );
          }
          return 'number';
        }
        needNumber(e.left, l, `the left operand of '${e.op}',`);
        needNumber(e.right, r, `the right operand of '${e.op}',`);
        return 'number';
      }
    }
  }

  needNumber(expr, infer(expr), 'the predicate');
  return problems;
}
