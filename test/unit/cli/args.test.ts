import { describe, expect, it } from 'vitest';
import {
  type CommandSpec,
  UsageError,
  helpText,
  cut,
  listFlag,
  parseCommandLine,
  quoted,
  signature,
  stringFlag,
  usageHint,
  usageLine,
} from '../../../cli/args.js';

/** A local tool's command line, like `npm start`'s: numbers with bounds, a word among three, booleans, a list. */
const tool = {
  name: '',
  program: 'npm run demo --',
  summary: 'A demo tool.',
  synopsis: '[--seed N] [--mode a|b|c]',
  options: {
    seed: { type: 'integer', min: 0, max: 10, default: 7, value: 'N', description: 'the seed' },
    delay: { type: 'integer', min: 0, max: 2000, unit: 'milliseconds', value: 'N', description: 'a delay' },
    share: { type: 'number', min: 0, max: 0.15, value: '<share>', description: 'a share of viewers' },
    mode: { type: 'enum', values: ['a', 'b', 'c'], default: 'a', description: 'how to run' },
    tag: { type: 'string', multiple: true, value: '<tag>', description: 'a tag' },
    name: { type: 'string', value: '<name>', description: 'a name' },
    verbose: { type: 'boolean', short: 'v', description: 'say more' },
  },
} satisfies CommandSpec;

/** A cfcd command (the program defaults to cfcd). */
const status = {
  name: 'status',
  summary: 'Where a primary stands.',
  synopsis: '--primary <id> [options]',
  options: { primary: { type: 'string', value: '<id>', description: 'the production distribution' } },
  details: 'Exit codes: 0 read.',
} satisfies CommandSpec;

/** The UsageError `args` raise, or a failure if they parse. */
function mistake(args: string[], spec: CommandSpec = tool): UsageError {
  try {
    parseCommandLine(spec, args);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error(`${JSON.stringify(args)} parsed`);
}

describe('parseCommandLine', () => {
  it('fills defaults in, leaves optional values out, and makes absent booleans false', () => {
    expect(parseCommandLine(tool, [])).toEqual({
      seed: 7,
      delay: undefined,
      share: undefined,
      mode: 'a',
      tag: undefined,
      name: undefined,
      verbose: false,
    });
  });

  it('converts numbers, checks words, collects repeated values in order and reads short flags', () => {
    const values = parseCommandLine(tool, [
      '--seed=10',
      '--delay',
      '0',
      '--share',
      '0.1',
      '--mode',
      'c',
      '--tag',
      'x',
      '--tag=y',
      '-v',
    ]);
    expect(values).toMatchObject({ seed: 10, delay: 0, share: 0.1, mode: 'c', tag: ['x', 'y'], verbose: true });
  });

  it.each([
    [['--bogus'], 'unknown option --bogus'],
    [['-x'], 'unknown option -x'],
    [['extra'], 'unexpected argument "extra" (every option starts with --)'],
    [['--name'], '--name needs a value'],
    [['--seed', '-1'], '--seed needs a value (write --seed=VALUE for one starting with -)'],
    [['--verbose=yes'], '--verbose takes no value'],
    [['--seed', '11'], '--seed must be a whole number from 0 to 10, got "11"'],
    [['--seed=-1'], '--seed must be a whole number from 0 to 10, got "-1"'],
    [['--seed', '1.5'], '--seed must be a whole number from 0 to 10, got "1.5"'],
    [['--seed', 'soon'], '--seed must be a whole number from 0 to 10, got "soon"'],
    [['--seed='], '--seed must be a whole number from 0 to 10, got ""'],
    [['--delay', '2001'], '--delay must be a whole number of milliseconds from 0 to 2000, got "2001"'],
    [['--share', '0.2'], '--share must be a number from 0 to 0.15, got "0.2"'],
    [['--share', '1e-2'], '--share must be a number from 0 to 0.15, got "1e-2"'],
    [['--mode', 'd'], '--mode must be one of a, b, c, got "d"'],
  ])('%j is a usage error: %s', (args, message) => {
    const err = mistake(args);
    expect(err.message).toBe(message);
    expect(err.command).toBe(tool);
  });

  it.each([
    [['--name', 'a', '--name', 'b'], '--name is given twice ("a", "b"); give it once'],
    [['--name=a', '--name', 'a'], '--name is given twice ("a", "a"); give it once'],
    [['--seed', '1', '--seed=2', '--seed', '3'], '--seed is given 3 times ("1", "2", "3"); give it once'],
    [['--mode', 'a', '--mode', 'c'], '--mode is given twice ("a", "c"); give it once'],
  ])(
    '%j: a flag with a value given twice is refused, naming it, instead of the last value winning',
    (args, message) => {
      const err = mistake(args);
      expect(err.message).toBe(message);
      expect(err.command).toBe(tool);
    },
  );

  it('lets a repeatable flag repeat, and a boolean be said twice (it means the same thing)', () => {
    expect(parseCommandLine(tool, ['--tag', 'a', '--tag', 'b']).tag).toEqual(['a', 'b']);
    expect(parseCommandLine(tool, ['-v', '--verbose']).verbose).toBe(true);
  });

  it('cuts what it echoes of an argument to 80 characters', () => {
    const huge = 'x'.repeat(100_000);
    for (const [args, start] of [
      [[`--${huge}`], 'unknown option --xxx'],
      [[`--${huge}=1`], 'unknown option --xxx'],
      [[huge], 'unexpected argument "xxx'],
      [['--seed', huge], '--seed must be a whole number from 0 to 10, got "xxx'],
      [['--mode', huge], '--mode must be one of a, b, c, got "xxx'],
      [['--name', huge, '--name', 'b'], '--name is given twice ("xxx'],
    ] as const) {
      const message = mistake([...args]).message;
      expect(message.startsWith(start), message.slice(0, 40)).toBe(true);
      expect(message.length, start).toBeLessThan(200);
      expect(message).toContain(`${'x'.repeat(70)}…`);
    }
  });

  it('accepts the bounds themselves and whitespace around a number', () => {
    expect(parseCommandLine(tool, ['--seed', '0', '--share', '0.15']).seed).toBe(0);
    expect(parseCommandLine(tool, ['--seed', ' 3 ']).seed).toBe(3);
  });

  it('refuses a whole number beyond what a double holds exactly', () => {
    const big = { ...tool, options: { n: { type: 'integer', min: 0, max: 2 ** 64, description: 'n' } } } as const;
    expect(mistake(['--n', '9007199254740993'], big).message).toBe(
      `--n must be a whole number from 0 to ${2 ** 64}, got "9007199254740993"`,
    );
  });
});

describe('cut and quoted', () => {
  it('keep 80 characters and mark the cut with …; shorter text is left whole', () => {
    expect(cut('short')).toBe('short');
    expect(cut('y'.repeat(80))).toBe('y'.repeat(80));
    expect(cut('y'.repeat(81))).toBe(`${'y'.repeat(80)}…`);
    expect(quoted('a"b')).toBe('"a\\"b"');
    expect(quoted('z'.repeat(100_000))).toBe(`"${'z'.repeat(80)}…"`);
  });
});

describe('stringFlag and listFlag', () => {
  it('treat an empty string as absent, like an empty UserParameters value', () => {
    const values = parseCommandLine(tool, ['--name=', '--tag', 'x']);
    expect(stringFlag(values, 'name')).toBeUndefined();
    expect(stringFlag({ name: 'n' }, 'name')).toBe('n');
    expect(listFlag(values, 'tag')).toEqual(['x']);
    expect(listFlag(values, 'missing')).toEqual([]);
    expect(listFlag({ one: 'a' }, 'one')).toEqual(['a']);
  });
});

describe('usage and help', () => {
  it('types a cfcd command after cfcd and a local tool as npm runs it, and signs errors without npm’s --', () => {
    expect(usageLine(status)).toBe('usage: cfcd status --primary <id> [options]');
    expect(usageLine(tool)).toBe('usage: npm run demo -- [--seed N] [--mode a|b|c]');
    expect(signature(status)).toBe('cfcd status');
    expect(signature(tool)).toBe('npm run demo');
    expect(usageHint(tool)).toBe(
      'usage: npm run demo -- [--seed N] [--mode a|b|c]\nRun "npm run demo -- --help" for every option.',
    );
  });

  it('builds --help from the table: bounds, units, words, defaults and repeatable flags', () => {
    expect(helpText(tool)).toBe(
      [
        'usage: npm run demo -- [--seed N] [--mode a|b|c]',
        '',
        'A demo tool.',
        '',
        'Options:',
        '      --seed N         the seed, 0–10 (default 7)',
        '      --delay N        a delay, 0–2000 milliseconds',
        '      --share <share>  a share of viewers, 0–0.15',
        '      --mode a|b|c     how to run (default a)',
        '      --tag <tag>      a tag (repeatable)',
        '      --name <name>    a name',
        '  -v, --verbose        say more',
        '',
      ].join('\n'),
    );
  });

  it('prints the details after the options', () => {
    expect(helpText(status)).toBe(
      [
        'usage: cfcd status --primary <id> [options]',
        '',
        'Where a primary stands.',
        '',
        'Options:',
        '      --primary <id>  the production distribution',
        '',
        'Exit codes: 0 read.',
        '',
      ].join('\n'),
    );
  });

  it('puts a long flag on its own line and wraps a long description under its column', () => {
    const spec = {
      ...status,
      options: {
        'a-very-long-option-name-indeed': { type: 'string', value: '<value>', description: 'short' },
        wordy: { type: 'boolean', description: `${'word '.repeat(30)}end` },
      },
    } satisfies CommandSpec;
    const lines = helpText(spec).split('\n');
    const options = lines.slice(lines.indexOf('Options:') + 1, lines.indexOf('', lines.indexOf('Options:')));
    expect(options[0]).toBe('      --a-very-long-option-name-indeed <value>');
    expect(options[1]).toBe(`${' '.repeat(36)}short`);
    expect(options[2]).toMatch(/^ {6}--wordy {23}word word/);
    expect(options.every((l) => l.length <= 120)).toBe(true);
    expect(options.at(-1)).toMatch(/^ {36}(word )*end$/);
    expect(options.join(' ').replace(/\s+/g, ' ')).toContain(`${'word '.repeat(30)}end`);
  });
});
