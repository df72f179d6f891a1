/**
 * Duplicate keys in JSON text. `JSON.parse` keeps the last of two equal keys without a word, and a reviver cannot
 * see the first one, so a value substituted into UserParameters as text (`"#{StagingStack.StagingDistributionId}"`)
 * that closes its string and repeats a key — `E…","PrimaryDistributionId":"EOTHER…` — would silently replace the
 * parameter it names. This scanner finds such a key so the parser can refuse it.
 */

/** A key given twice in one JSON object. */
export interface DuplicateKey {
  /** The key, decoded (`"\u0061"` is the key `a`). */
  key: string;
  /**
   * Where the object holding it is: the keys and array indexes from the top, empty for the top-level object. E.g.
   * `["Gate", 0]` for `{"Gate": [{"a": 1, "a": 2}]}`.
   */
  at: (string | number)[];
}

/** One open object or array while scanning. */
interface Container {
  /** The keys seen so far in an object; undefined for an array. */
  keys: Set<string> | undefined;
  /** In an object: the next string is a key (after `{` or `,`). */
  expectKey: boolean;
  /** In an object, the last key read; in an array, the index of the current item. */
  member: string | number;
  /** The container holding this one, and this one's member in it: the path is only built for a finding. */
  parent: { container: Container; member: string | number } | undefined;
}

/** Where `container` is, from the top (see {@link DuplicateKey.at}). */
function pathOf(container: Container): (string | number)[] {
  const at: (string | number)[] = [];
  for (let link = container.parent; link; link = link.container.parent) at.push(link.member);
  return at.reverse();
}

/**
 * The first key that appears twice in one object of `text`, at any depth, or undefined when every object's keys are
 * distinct. Keys are compared decoded, as `JSON.parse` sees them: `"a"` and `"\u0061"` are one key. `text` is JSON that
 * `JSON.parse` accepted (anything else ends the scan without a finding); the scan is one pass, linear in the length,
 * without recursion, so deep nesting cannot overflow the stack.
 */
export function findDuplicateKey(text: string): DuplicateKey | undefined {
  const stack: Container[] = [];
  const open = (keys: Set<string> | undefined): void => {
    const parent = stack[stack.length - 1];
    stack.push({
      keys,
      expectKey: keys !== undefined,
      member: keys ? '' : 0,
      parent: parent ? { container: parent, member: parent.member } : undefined,
    });
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const end = closingQuote(text, i);
      if (end >= text.length) return undefined;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        // The raw token, escapes and all, decoded by JSON itself: every escape means what JSON.parse says it means.
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return { key, at: pathOf(top) };
        top.keys.add(key);
        top.member = key;
        top.expectKey = false;
      }
      i = end;
    } else if (c === '{') open(new Set());
    else if (c === '[') open(undefined);
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
      else if (top) top.member = (top.member as number) + 1;
    }
  }
  return undefined;
}

/**
 * The index of the quote that closes the string opening at `open` (a backslash always escapes the next character),
 * or an index past the end when the string is not closed.
 */
function closingQuote(text: string, open: number): number {
  let j = open + 1;
  while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
  return j;
}

/**
 * `at` as a reader writes it: `Gate[0].Name`, a key that is not a plain word quoted (`Gate["a b"]`); empty for the top
 * level. Cut to 80 characters: the keys are the input's, and an error message quotes them.
 */
export function describePath(at: readonly (string | number)[]): string {
  const text = at
    .map((m, i) =>
      typeof m === 'number' ? `[${m}]` : /^\w+$/.test(m) ? (i === 0 ? m : `.${m}`) : `[${JSON.stringify(m)}]`,
    )
    .join('');
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
