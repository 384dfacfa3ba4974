import { describe, expect, it } from 'vitest';
import { PauseGate } from '../../src/schedule/pause-gate.js';

describe('PauseGate', () => {
  it('holds every waiter until the latest pause has passed', async () => {
    let now = 1000;
    const slept: number[] = [];
    const gate = new PauseGate(
      () => now,
      async (ms) => {
        slept.push(ms);
        now += ms;
      },
    );
    gate.pauseUntil(3000);
    gate.pauseUntil(2000); // an earlier pause does not shorten it
    await gate.wait();
    expect(now).toBe(3000);
    expect(slept).toEqual([2000]);
  });

  it('opens at once when released', async () => {
    const gate = new PauseGate(Date.now, () => new Promise(() => {}));
    gate.pauseUntil(Date.now() + 60_000);
    const waiting = gate.wait();
    gate.release();
    await expect(waiting).resolves.toBeUndefined();
  });
});
