/**
 * Does a bucket policy let one CloudFront distribution read one object through origin access control? Only the
 * canonical OAC grant counts: Allow, Service principal cloudfront.amazonaws.com, s3:GetObject on the key, and an
 * AWS:SourceArn condition naming that distribution. A grant by AWS:SourceAccount alone is deliberately not enough:
 * it would let every distribution in the account read the bucket, which is the mistake the project guards against.
 */

type OneOrMany<T> = T | T[] | undefined;
interface Statement {
  Effect?: string;
  Principal?: string | { Service?: OneOrMany<string> };
  Action?: OneOrMany<string>;
  Resource?: OneOrMany<string>;
  Condition?: Record<string, Record<string, OneOrMany<string>>>;
}

const list = <T>(v: OneOrMany<T>): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** IAM-style wildcard match: `*` any run, `?` one character. */
function globMatch(pattern: string, value: string, caseInsensitive = false): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, caseInsensitive ? 'i' : '').test(value);
}

function sourceArnMatches(condition: Statement['Condition'], arn: string): boolean {
  for (const [operator, entries] of Object.entries(condition ?? {})) {
    for (const [key, values] of Object.entries(entries)) {
      if (key.toLowerCase() !== 'aws:sourcearn') continue;
      const exact = operator === 'StringEquals' || operator === 'ArnEquals';
      const like = operator === 'ArnLike' || operator === 'StringLike';
      if (exact && list(values).includes(arn)) return true;
      if (like && list(values).some((v) => globMatch(v, arn))) return true;
    }
  }
  return false;
}

/**
 * True when `policyText` grants s3:GetObject on `bucket/key` to distribution `distributionArn`. Deny statements
 * are not evaluated: the ones real bucket policies carry (e.g. deny non-TLS) never apply to CloudFront's
 * HTTPS origin requests.
 */
export function grantsDistribution(
  policyText: string | undefined,
  bucket: string,
  key: string,
  distributionArn: string,
): boolean {
  if (!policyText) return false;
  let statements: Statement[];
  try {
    statements = list((JSON.parse(policyText) as { Statement?: OneOrMany<Statement> }).Statement);
  } catch {
    return false;
  }
  const resource = `arn:aws:s3:::${bucket}/${key}`;
  return statements.some(
    (s) =>
      s.Effect === 'Allow' &&
      typeof s.Principal === 'object' &&
      list(s.Principal.Service).includes('cloudfront.amazonaws.com') &&
      list(s.Action).some((a) => globMatch(a, 's3:GetObject', true)) &&
      list(s.Resource).some((r) => globMatch(r, resource)) &&
      sourceArnMatches(s.Condition, distributionArn),
  );
}
