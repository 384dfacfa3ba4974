import { describe, expect, it } from 'vitest';
import { DEAD_PATH_ATTEMPTS, initialConnectivity, observeAttempt, outageStop, waitingLogIntervalMs } from '../../src/job/connectivity.js';
import { classifyNetworkFault, classifyProxyAnswer } from '../../src/send/network-fault.js';

const url = new URL('https://graph.microsoft.com/v1.0/$batch');
const refused = classifyNetworkFault(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), { url });
const reset = classifyNetworkFault(Object.assign(new Error('x'), { code: 'ECONNRESET' }), { url });
const tls = classifyNetworkFault(Object.assign(new Error('x'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), { url });
const HINT = 'run again with --resume r.csv';

describe('observeAttempt', () => {
  it('a dead path before any success stops after a few attempts, exit 3, naming host and error', () => {
    let state = initialConnectivity(0);
    for (let i = 1; i < DEAD_PATH_ATTEMPTS; i++) {
      const r = observeAttempt(state, { fault: refused, atMs: i }, HINT);
      expect(r.stop).toBeUndefined();
      state = r.state;
    }
    const last = observeAttempt(state, { fault: refused, atMs: 9 }, HINT);
    expect(last.stop).toMatchObject({ exitCode: 3 });
    expect(last.stop!.reason).toMatch(/connection refused by graph\.microsoft\.com:443 \(ECONNREFUSED\).*3 attempts, none succeeded/);
    expect(last.stop!.advice).toContain(HINT);
  });

  it('after a first success, a dead path is left to the outage timeout', () => {
    let state = observeAttempt(initialConnectivity(0), { status: 204, atMs: 1 }, HINT).state;
    for (let i = 0; i < 10; i++) {
      const r = observeAttempt(state, { fault: refused, atMs: 2 + i }, HINT);
      expect(r.stop).toBeUndefined();
      state = r.state;
    }
  });

  it('transient failures between dead paths reset the count', () => {
    let state = initialConnectivity(0);
    state = observeAttempt(state, { fault: refused, atMs: 1 }, HINT).state;
    state = observeAttempt(state, { fault: refused, atMs: 2 }, HINT).state;
    state = observeAttempt(state, { fault: reset, atMs: 3 }, HINT).state;
    expect(observeAttempt(state, { fault: refused, atMs: 4 }, HINT).stop).toBeUndefined();
  });

  it('an untrusted certificate or a 407 stops at once, also mid-run', () => {
    expect(observeAttempt(initialConnectivity(0), { fault: tls, atMs: 1 }, HINT).stop).toMatchObject({ exitCode: 3 });
    const mid = observeAttempt(initialConnectivity(0), { status: 200, atMs: 1 }, HINT).state;
    const auth = classifyProxyAnswer(407, { url, proxy: 'http://p:3128' });
    expect(observeAttempt(mid, { fault: auth, atMs: 2 }, HINT).stop?.reason).toMatch(/requires authentication/);
  });
});

describe('outageStop', () => {
  it('stops (exit 2) once Graph has not answered for the timeout; 5xx do not count as answers, 429 does', () => {
    let state = observeAttempt(initialConnectivity(0), { status: 204, atMs: 1000 }, HINT).state;
    state = observeAttempt(state, { status: 503, atMs: 2000 }, HINT).state;
    state = observeAttempt(state, { fault: refused, atMs: 3000 }, HINT).state;
    expect(outageStop(state, 5999, 5000, HINT)).toBeUndefined();
    const stop = outageStop(state, 6000, 5000, HINT)!;
    expect(stop.exitCode).toBe(2);
    expect(stop.reason).toMatch(/no answer from Graph for 5 s.*last error: connection refused/);
    expect(stop.advice).toContain('skipped');
    const throttled = observeAttempt(state, { status: 429, atMs: 5500 }, HINT).state;
    expect(outageStop(throttled, 6000, 5000, HINT)).toBeUndefined();
  });

  it('the waiting log comes every 30 s, more often for short outage timeouts', () => {
    expect(waitingLogIntervalMs(300_000)).toBe(30_000);
    expect(waitingLogIntervalMs(3000)).toBe(1000);
  });
});
