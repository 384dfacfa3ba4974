/**
 * Bench-only preload (`node --import ./dist-bench/bench/probe.js …`): when the process exits, writes its own
 * resource usage as JSON to the file named by `GRAPH_BULK_BENCH_PROBE`, so the bench measures the
 * contender process itself (the graph-bulk CLI, or a peer script) without changing it.
 *
 * Written: {@link ProbeReport}.
 */
import { writeFileSync } from 'node:fs';

/** What a probed process reports at exit. */
export interface ProbeReport {
  /** CPU time in user mode, seconds. */
  userCpuS: number;
  /** CPU time in kernel mode, seconds. */
  systemCpuS: number;
  /** Peak resident set size, bytes (getrusage maxrss). */
  maxRssBytes: number;
  /** The exit code the process is leaving with. */
  exitCode: number;
}

const target = process.env.GRAPH_BULK_BENCH_PROBE;
if (target) {
  process.on('exit', (code) => {
    const usage = process.resourceUsage();
    const report: ProbeReport = {
      userCpuS: usage.userCPUTime / 1e6,
      systemCpuS: usage.systemCPUTime / 1e6,
      maxRssBytes: usage.maxRSS * 1024,
      exitCode: code,
    };
    writeFileSync(target, JSON.stringify(report));
  });
}
