/**
 * `npm run dev` is a job of several processes (npm, sh, tsx, this one). Its children die with this process
 * (child-process.ts, spawnTied); this makes this process stop with the job: when any process between it and the
 * job's process-group leader (npm, as a shell starts it) is gone, the environment stops, so killing npm with
 * SIGKILL leaves nothing running either. Linux reads /proc; elsewhere only the direct parent is watched.
 */
import { readFileSync } from "node:fs";

const POLL_MS = 500;

/** Calls `gone` once, when a launching process has ended. Returns a stop function. */
export function watchLauncher(gone: () => void): () => void {
  const parent = process.ppid;
  const ancestors = launchers();
  const timer = setInterval(() => {
    if (process.ppid !== parent || ancestors.some((pid) => !running(pid))) {
      clearInterval(timer);
      gone();
    }
  }, POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** This process's ancestors up to and including its process-group leader (none past pid 1). */
function launchers(): number[] {
  const own = stat(process.pid);
  if (!own) return [];
  const chain: number[] = [];
  for (let pid = own.ppid; pid > 1 && chain.length < 16;) {
    const s = stat(pid);
    if (!s) break;
    chain.push(pid);
    if (pid === own.pgrp) return chain;
    pid = s.ppid;
  }
  // The group leader is not an ancestor (started some other way): the direct parent only.
  return chain.slice(0, 1);
}

/** Alive and not a zombie waiting to be reaped. */
function running(pid: number): boolean {
  const s = stat(pid);
  return s !== undefined && s.state !== "Z" && s.state !== "X";
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function stat(pid: number): { state: string; ppid: number; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const [state, ppid, pgrp] = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state, ppid: Number(ppid), pgrp: Number(pgrp) };
  } catch {
    return undefined;
  }
}
