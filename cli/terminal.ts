/**
 * What cfcd writes and where: results on stdout, the live progress line and messages for the person on stderr.
 * Colour only when the stream is a terminal and `NO_COLOR` is not set (https://no-color.org), with Node's own
 * `util.styleText`. The progress line is redrawn in place on a terminal and written as plain lines elsewhere (a CI
 * log), and every other line clears it first so the two never garble each other.
 */
import { styleText } from 'node:util';

type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';

/** A writable text stream: process.stdout and process.stderr, or a test's capture. */
export interface TextStream {
  write(text: string): unknown;
  isTTY?: boolean;
  /** The terminal's width, when it is one. */
  columns?: number;
}

/** True when colour may be used on `stream`. */
export function colourAllowed(stream: TextStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/** Styles text for one stream: a no-op when colour is not allowed there. */
export type Paint = (style: Style, text: string) => string;

export function painter(enabled: boolean): Paint {
  if (!enabled) return (_style, text) => text;
  // Newer Node versions check the stream themselves unless told not to; the decision here is already made.
  const style = styleText as (format: Style, text: string, options?: { validateStream?: boolean }) => string;
  return (format, text) => style(format, text, { validateStream: false });
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Minutes and seconds, e.g. `2m 05s`, or `42s`. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return minutes ? `${minutes}m ${String(seconds).padStart(2, '0')}s` : `${seconds}s`;
}

/** The streams of one cfcd run, with colour decided once per stream. */
export class Terminal {
  readonly out: Paint;
  readonly err: Paint;
  private progress: { text: () => string; timer: NodeJS.Timeout | undefined; frame: number } | undefined;
  private lastPlainProgress = '';

  constructor(
    readonly stdout: TextStream = process.stdout,
    readonly stderr: TextStream = process.stderr,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.out = painter(colourAllowed(stdout, env));
    this.err = painter(colourAllowed(stderr, env));
  }

  /** One line of the result, on stdout. */
  line(text = ''): void {
    this.clearProgress();
    this.stdout.write(`${text}\n`);
    this.redrawProgress();
  }

  /** One line for the person (a notice, a warning, an error), on stderr. */
  note(text: string): void {
    this.clearProgress();
    this.stderr.write(`${text}\n`);
    this.redrawProgress();
  }

  /**
   * Shows a live progress line on stderr built by `text` (called again on every redraw, so elapsed time ticks). On
   * a terminal it is redrawn in place every 200 ms; elsewhere it is written once each time its text changes, without
   * the ticking parts (`stable`).
   */
  showProgress(text: () => string, stable: () => string): void {
    if (this.stderr.isTTY) {
      if (!this.progress) {
        this.progress = { text, timer: undefined, frame: 0 };
        this.progress.timer = setInterval(() => this.redrawProgress(), 200);
        this.progress.timer.unref();
      } else this.progress.text = text;
      this.redrawProgress();
      return;
    }
    const plain = stable();
    if (plain !== this.lastPlainProgress) this.stderr.write(`${plain}\n`);
    this.lastPlainProgress = plain;
  }

  /** Removes the progress line for good. */
  endProgress(): void {
    this.clearProgress();
    if (this.progress?.timer) clearInterval(this.progress.timer);
    this.progress = undefined;
    this.lastPlainProgress = '';
  }

  private clearProgress(): void {
    if (this.progress) this.stderr.write('\r\x1b[2K');
  }

  private redrawProgress(): void {
    const p = this.progress;
    if (!p) return;
    const frame = SPINNER[p.frame++ % SPINNER.length] as string;
    // A line wider than the terminal wraps, and the next redraw could then clear only its last row.
    const width = (this.stderr.columns ?? 80) - 3;
    const text = p.text();
    this.stderr.write(
      `\r\x1b[2K${this.err('cyan', frame)} ${text.length > width ? `${text.slice(0, width - 1)}…` : text}`,
    );
  }
}
