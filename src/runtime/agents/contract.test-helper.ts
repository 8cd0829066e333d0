// The contract every resource agent keeps (agent.ts), as one suite that each kind's tests call
// with a way to build a fresh agent and to look at the resource from outside.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentCommand, ResourceAgent } from './agent.js';
import { AgentError } from './agent.js';

export interface ContractSubject {
  /** A fresh agent for a resource that is offline now. */
  readonly make: () => Promise<ResourceAgent> | ResourceAgent;
  /** Looks at the resource from outside the agent: is it online? */
  readonly isOnline: () => Promise<boolean>;
  /** An agent whose start fails (a bad parameter, a missing device...); omit if none. */
  readonly makeFailing?: () => Promise<ResourceAgent> | ResourceAgent;
}

/** Registers the contract tests (call inside a describe). */
export function agentContract(subject: ContractSubject): void {
  it('contract: monitor says stopped before start, and changes nothing', async () => {
    const a = await subject.make();
    assert.equal((await a.monitor()).state, 'stopped');
    assert.equal(await subject.isOnline(), false);
  });

  it('contract: start brings it online, twice is still success, monitor says running', async () => {
    const a = await subject.make();
    const seen: AgentCommand[] = [];
    const ctx = { onCommand: (c: AgentCommand) => seen.push(c) };
    try {
      await a.start(ctx);
      assert.equal(await subject.isOnline(), true);
      await a.start(ctx);
      assert.equal(await subject.isOnline(), true);
      assert.equal((await a.monitor(ctx)).state, 'running');
      for (const c of seen) {
        assert.equal(c.resource, a.resource);
        assert.ok(c.command.length > 0);
      }
    } finally {
      await a.stop();
    }
  });

  it('contract: stop takes it offline, twice is still success, monitor says stopped', async () => {
    const a = await subject.make();
    await a.start();
    await a.stop();
    assert.equal(await subject.isOnline(), false);
    await a.stop();
    assert.equal(await subject.isOnline(), false);
    assert.equal((await a.monitor()).state, 'stopped');
  });

  if (subject.makeFailing) {
    const makeFailing = subject.makeFailing;
    it('contract: a failing start rejects with an AgentError naming the resource and op', async () => {
      const a = await makeFailing();
      try {
        await assert.rejects(a.start(), (e: unknown) => {
          assert.ok(e instanceof AgentError, String(e));
          assert.equal(e.details.resource, a.resource);
          assert.equal(e.details.op, 'start');
          assert.ok(e.details.reason.length > 0);
          return true;
        });
      } finally {
        await a.stop().catch(() => undefined);
      }
    });
  }
}
