import { describe, expect, it, vi } from 'vitest';
import { WorkQueue } from '../../src/schedule/work-queue.js';

const item = (key: string, n: number) => ({ key, n });

describe('WorkQueue', () => {
  it('hands out items oldest first and counts them until completed', () => {
    const q = new WorkQueue<{ key: string; n: number }>();
    q.push(item('a', 1));
    q.push(item('b', 2));
    q.push(item('c', 3));
    expect(q.take(2).map((i) => i.n)).toEqual([1, 2]);
    expect(q.readyCount).toBe(1);
    expect(q.outstanding).toBe(3);
  });

  it('never has two items for one device out at once, and keeps manifest order for them', () => {
    const q = new WorkQueue<{ key: string; n: number }>();
    const first = item('dev', 1);
    q.push(first);
    q.push(item('dev', 2));
    q.push(item('other', 3));
    expect(q.take(10).map((i) => i.n)).toEqual([1, 3]);
    q.complete(first);
    expect(q.take(10).map((i) => i.n)).toEqual([2]);
  });

  it('does not release a retry before its delay', () => {
    vi.useFakeTimers();
    try {
      const onReady = vi.fn();
      const q = new WorkQueue<{ key: string; n: number }>(onReady);
      const a = item('a', 1);
      q.push(a);
      q.take(1);
      onReady.mockClear();
      q.retryLater(a, 1500);
      vi.advanceTimersByTime(1499);
      expect(q.take(1)).toEqual([]);
      expect(onReady).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(onReady).toHaveBeenCalledOnce();
      expect(q.take(1)).toEqual([a]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a retry whose time has come goes ahead of new items (the writes Graph frees after a 429 are the throttled rows' )", () => {
    vi.useFakeTimers();
    try {
      const q = new WorkQueue<{ key: string; n: number }>();
      const a = item('a', 1);
      q.push(a);
      q.take(1);
      q.retryLater(a, 100);
      for (let n = 2; n <= 5; n++) q.push(item(`k${n}`, n));
      expect(q.take(2).map((i) => i.n)).toEqual([2, 3]);
      vi.advanceTimersByTime(100);
      expect(q.readyCount).toBe(3);
      expect(q.take(2).map((i) => i.n)).toEqual([1, 4]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('drain returns every item not in flight: ready, delayed and parked', () => {
    const q = new WorkQueue<{ key: string; n: number }>();
    const inFlight = item('a', 1);
    q.push(inFlight);
    q.take(1);
    q.push(item('a', 2)); // parked behind the in-flight one
    q.push(item('b', 3)); // ready
    const c = item('c', 4);
    q.push(c);
    q.take(2); // b and c
    q.retryLater(c, 10_000);
    const drained = q
      .drain()
      .map((i) => i.n)
      .sort();
    expect(drained).toEqual([2, 4]);
    expect(q.outstanding).toBe(2); // a (in flight) and b (taken)
  });
});
