/**
 * CloudFormation, as far as cfcd's question "which stack manages this distribution, and since when" needs it: stacks
 * made by importing existing distributions (CreateChangeSet of type IMPORT, then ExecuteChangeSet: the way docs/promote
 * .md tells an operator to bring a primary under a stack) and DescribeStackResources. Templates are kept, not
 * interpreted: importing changes nothing on the distribution, as with CloudFormation. SDK v3 speaks the AWS query
 * protocol to CloudFormation: `POST /` with a form body naming the `Action`, answered in XML.
 */
import { randomUUID } from 'node:crypto';
import type { EmulatedAccount } from './account.js';
import { ApiError } from './errors.js';
import { header, type ApiRequest, type ApiResponse, type Operation, type Service } from './protocol.js';
import { requestId } from './random.js';

const XMLNS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
const DISTRIBUTION = 'AWS::CloudFront::Distribution';

interface StackResource {
  logicalId: string;
  physicalId: string;
  type: string;
  status: string;
  /** When the resource's status last changed (ms). */
  time: number;
}
interface Stack {
  id: string;
  name: string;
  resources: StackResource[];
}
interface ChangeSet {
  id: string;
  stackId: string;
  stackName: string;
  resources: { logicalId: string; physicalId: string; type: string }[];
  executed: boolean;
}

const validation = (message: string) => new ApiError('ValidationError', message);

const xmlText = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
const el = (name: string, inner: string) => `<${name}>${inner}</${name}>`;

function xmlResult(action: string, inner: string): ApiResponse {
  const body =
    `<${action}Response xmlns="${XMLNS}">${el(`${action}Result`, inner)}` +
    `${el('ResponseMetadata', el('RequestId', requestId()))}</${action}Response>`;
  return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId() }, body };
}

/** The members of a query-protocol list `prefix.member.N.…`, each as its own field map. */
function members(form: URLSearchParams, prefix: string): URLSearchParams[] {
  const out: URLSearchParams[] = [];
  for (
    let i = 1;
    form.has(`${prefix}.member.${i}.LogicalResourceId`) || form.has(`${prefix}.member.${i}.ResourceType`);
    i++
  ) {
    const item = new URLSearchParams();
    const head = `${prefix}.member.${i}.`;
    for (const [k, v] of form) if (k.startsWith(head)) item.set(k.slice(head.length), v);
    out.push(item);
  }
  return out;
}

/** The value under `key` of a query-protocol map `prefix.entry.N.key/value`. */
function mapValue(form: URLSearchParams, prefix: string, key: string): string | undefined {
  for (let i = 1; form.has(`${prefix}.entry.${i}.key`); i++)
    if (form.get(`${prefix}.entry.${i}.key`) === key) return form.get(`${prefix}.entry.${i}.value`) ?? undefined;
  return undefined;
}

/** The CloudFormation service over a shared account (its stacks live with the service, like the account's). */
export function cloudFormation(account: EmulatedAccount): Service {
  const stacks = new Map<string, Stack>();
  const changeSets = new Map<string, ChangeSet>();
  const arn = (kind: string, name: string) =>
    `arn:aws:cloudformation:${account.opts.region}:${account.opts.accountId}:${kind}/${name}/${randomUUID()}`;
  const findStack = (nameOrId: string) => [...stacks.values()].find((s) => s.name === nameOrId || s.id === nameOrId);

  function createChangeSet(form: URLSearchParams): ApiResponse {
    const stackName = form.get('StackName') ?? '';
    const name = form.get('ChangeSetName') ?? '';
    if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName)) throw validation(`Invalid StackName: ${stackName}`);
    if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(name)) throw validation(`Invalid ChangeSetName: ${name}`);
    if (form.get('ChangeSetType') !== 'IMPORT')
      throw validation('The emulator models change sets of type IMPORT only (bringing a distribution under a stack).');
    if (!form.get('TemplateBody')) throw validation('TemplateBody is required.');
    if (findStack(stackName)) throw validation(`Stack [${stackName}] already exists and cannot be imported into.`);
    const resources = members(form, 'ResourcesToImport').map((r) => {
      const type = r.get('ResourceType') ?? '';
      const logicalId = r.get('LogicalResourceId') ?? '';
      if (type !== DISTRIBUTION) throw validation(`The emulator imports ${DISTRIBUTION} only, not ${type}.`);
      const physicalId = mapValue(r, 'ResourceIdentifier', 'Id') ?? '';
      if (!account.distributions.has(physicalId))
        throw validation(`Resource to import [${physicalId}] of type ${type} does not exist.`);
      for (const s of stacks.values())
        if (s.resources.some((x) => x.physicalId === physicalId))
          throw validation(`Resource [${physicalId}] already belongs to stack [${s.name}].`);
      return { logicalId, physicalId, type };
    });
    if (resources.length === 0) throw validation('ResourcesToImport must name at least one resource.');
    const id = arn('changeSet', name);
    const stackId = arn('stack', stackName);
    changeSets.set(id, { id, stackId, stackName, resources, executed: false });
    return xmlResult('CreateChangeSet', el('Id', xmlText(id)) + el('StackId', xmlText(stackId)));
  }

  function executeChangeSet(form: URLSearchParams): ApiResponse {
    const ref = form.get('ChangeSetName') ?? '';
    const stackName = form.get('StackName');
    const set = [...changeSets.values()].find(
      (c) => c.id === ref || (c.id.split('/')[1] === ref && c.stackName === stackName),
    );
    if (!set) throw new ApiError('ChangeSetNotFound', `ChangeSet [${ref}] does not exist`, 404);
    if (set.executed) throw new ApiError('InvalidChangeSetStatus', `ChangeSet [${ref}] was already executed`);
    set.executed = true;
    const time = account.now();
    const resources = set.resources.map((r) => ({ ...r, status: 'IMPORT_COMPLETE', time }));
    const stack = { id: set.stackId, name: set.stackName, resources };
    stacks.set(stack.id, stack);
    return xmlResult('ExecuteChangeSet', '');
  }

  function describeStackResources(form: URLSearchParams): ApiResponse {
    const physicalId = form.get('PhysicalResourceId');
    const stackName = form.get('StackName');
    if (physicalId && stackName) throw validation('Specify either StackName or PhysicalResourceId, not both.');
    const stack = physicalId
      ? [...stacks.values()].find((s) => s.resources.some((r) => r.physicalId === physicalId))
      : findStack(stackName ?? '');
    if (!stack) throw validation(`Stack for ${physicalId ?? stackName} does not exist`);
    const logical = form.get('LogicalResourceId');
    const items = stack.resources
      .filter((r) => !logical || r.logicalId === logical)
      .map((r) =>
        el(
          'member',
          el('StackName', xmlText(stack.name)) +
            el('StackId', xmlText(stack.id)) +
            el('LogicalResourceId', xmlText(r.logicalId)) +
            el('PhysicalResourceId', xmlText(r.physicalId)) +
            el('ResourceType', r.type) +
            el('Timestamp', new Date(r.time).toISOString()) +
            el('ResourceStatus', r.status),
        ),
      );
    return xmlResult('DescribeStackResources', el('StackResources', items.join('')));
  }

  const actions: Record<string, (form: URLSearchParams) => ApiResponse> = {
    CreateChangeSet: createChangeSet,
    ExecuteChangeSet: executeChangeSet,
    DescribeStackResources: describeStackResources,
  };

  /** A query-protocol request of CloudFormation's API version, else undefined (another service's). */
  function queryRequest(req: ApiRequest): Operation | undefined {
    if (req.method !== 'POST' || req.path !== '/') return undefined;
    if (!header(req, 'content-type')?.startsWith('application/x-www-form-urlencoded')) return undefined;
    const form = new URLSearchParams(req.body.toString('utf8'));
    if (form.get('Version') !== '2010-05-15') return undefined;
    const name = form.get('Action') ?? '';
    const action = actions[name];
    return {
      name,
      run: () => {
        if (!action) throw new ApiError('InvalidAction', `The emulator does not implement CloudFormation ${name}.`);
        return action(form);
      },
    };
  }

  return {
    // The operation is in the body, which route rows do not read: every request goes through `unmatched`.
    routes: [],
    unmatched: (req) => queryRequest(req),
    commonErrors: ['ValidationError', 'InvalidAction', 'Throttling', 'InternalFailure'],
    renderError: (err) => ({
      status: err.status,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId() },
      body:
        `<ErrorResponse xmlns="${XMLNS}">` +
        el('Error', el('Type', err.type) + el('Code', err.code) + el('Message', xmlText(err.message))) +
        `${el('RequestId', requestId())}</ErrorResponse>`,
    }),
  };
}
