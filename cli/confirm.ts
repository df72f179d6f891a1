/** The confirmation prompt: a yes/no question on a terminal, where Ctrl-C and end of input both mean no. */
import { createInterface } from 'node:readline';
import type { TextStream } from './terminal.js';

export type Answer = 'yes' | 'no' | 'interrupted';

/** Asks `question` on the terminal; only `y` or `yes` (any case) is a yes. */
export function ask(question: string, input: NodeJS.ReadableStream, output: TextStream): Promise<Answer> {
  return new Promise((resolve) => {
    const rl = createInterface({ input, output: output as NodeJS.WritableStream, terminal: true });
    let answered = false;
    const finish = (answer: Answer) => {
      if (answered) return;
      answered = true;
      rl.close();
      resolve(answer);
    };
    rl.on('SIGINT', () => {
      output.write('\n');
      finish('interrupted');
    });
    rl.on('close', () => finish('no'));
    rl.question(question, (text) => finish(/^\s*y(es)?\s*$/i.test(text) ? 'yes' : 'no'));
  });
}
