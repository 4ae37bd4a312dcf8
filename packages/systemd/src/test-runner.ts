import type { RunRequest, RunResult, Runner } from "./runner.js";

/** A call a fake runner saw. */
export interface SeenCall extends RunRequest {
  /** `file` and `args` as one list. */
  argv: string[];
}

/**
 * A Runner for tests: records each call, answers with `answer(call)` (exit 0
 * and no output by default). `inFlight` and `maxInFlight` tell whether calls
 * overlapped. Not exported by the package.
 */
export function fakeRunner(
  answer: (call: SeenCall) => Partial<RunResult> | Promise<Partial<RunResult>> = () => ({}),
) {
  const calls: SeenCall[] = [];
  const state = { inFlight: 0, maxInFlight: 0 };
  const run: Runner = async (request) => {
    const call = { ...request, argv: [request.file, ...request.args] };
    calls.push(call);
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    try {
      const r = await answer(call);
      return { exitCode: 0, stdout: "", stderr: "", timedOut: false, spawnError: null, ...r };
    } finally {
      state.inFlight--;
    }
  };
  return { run, calls, state };
}

/** A promise and the function that resolves it. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}
