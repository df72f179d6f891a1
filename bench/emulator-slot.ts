/**
 * One emulator per repetition, always on the same 127.0.0.1 port. A fresh emulator is a fresh account (the local site
 * and staging stack use fixed names and caller references, so they cannot be created twice in one emulator), while
 * the Lambda workers, started once with the endpoint variables, stay warm across repetitions.
 */
import { startEmulator, type Emulator } from '../local/emulator/index.js';

export class EmulatorSlot {
  private constructor(
    private current: Emulator,
    private readonly port: number,
  ) {}

  /** Starts the first emulator on any free port; later ones reuse it. */
  static async open(): Promise<EmulatorSlot> {
    const first = await startEmulator({});
    return new EmulatorSlot(first, Number(new URL(first.url).port));
  }

  get emulator(): Emulator {
    return this.current;
  }

  /** The variables the Lambda workers get: the same for every emulator in this slot. */
  get env(): Record<string, string> {
    return this.current.env;
  }

  /** Replaces the emulator with a fresh one (no distributions, buckets, jobs or request log) on the same port. */
  async fresh(): Promise<Emulator> {
    await this.current.close();
    this.current = await startEmulator({ port: this.port });
    return this.current;
  }

  async close(): Promise<void> {
    await this.current.close();
  }
}
