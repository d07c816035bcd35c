/**
 * A snarkjs-compatible logger that turns the library's chatty progress lines into one short,
 * timestamped progress line per step, so that a minutes-long setup shows it is alive.
 */

/** The logger shape snarkjs accepts. */
export interface SnarkjsLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Where progress goes: a function taking one line (default: stderr). */
export type ProgressSink = (line: string) => void;

/** Progress to stderr, as the command-line tools print it. */
export const stderrProgress: ProgressSink = (line) => {
  process.stderr.write(`${line}\n`);
};

/** A sink that drops everything (tests). */
export const silentProgress: ProgressSink = () => {};

/**
 * A logger for one setup step: snarkjs's `debug` and `info` lines are shown at most every
 * `intervalMs`, prefixed with the step name and the elapsed time; warnings and errors always.
 */
export function stepLogger(step: string, sink: ProgressSink, intervalMs = 5_000): SnarkjsLogger {
  const started = Date.now();
  let lastShown = 0;
  const show = (message: string, always: boolean): void => {
    const now = Date.now();
    if (!always && now - lastShown < intervalMs) return;
    lastShown = now;
    const seconds = ((now - started) / 1000).toFixed(0).padStart(4);
    sink(`  [${step}] ${seconds}s  ${message.trim()}`);
  };
  return {
    debug: (m) => show(m, false),
    info: (m) => show(m, false),
    warn: (m) => show(`warning: ${m}`, true),
    error: (m) => show(`error: ${m}`, true),
  };
}
