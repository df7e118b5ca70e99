/**
 * The fast tier of the operations: inputs read from text as their declared types, refusals naming the input and its
 * fix, the inputs set to other than their default (when per-input rules apply), and the listing as JSON Schema.
 */
import { OperationName } from '@relforge/config';
import { describe, expect, it } from 'vitest';
import { describeOperation, operationNamed, operations, parseInputs } from '../src/index.js';

const abort = operationNamed('abort');
if (!abort) throw new Error('abort is registered');

describe('operation inputs', () => {
  it('reads text as the declared type and reports which inputs the caller set', () => {
    expect(parseInputs(abort, { version: '1.5.0', reason: 'bad build', rollback: 'true' })).toEqual({
      ok: true,
      inputs: { version: '1.5.0', reason: 'bad build', rollback: true },
      given: { version: '1.5.0', reason: 'bad build', rollback: true },
      setByCaller: ['version', 'reason', 'rollback'],
    });
    const byDefault = parseInputs(abort, { version: '1.5.0', reason: 'bad build', rollback: false });
    expect(byDefault.ok && byDefault.setByCaller).toEqual(['version', 'reason']);
  });

  it('refuses unknown, missing and mistyped inputs, naming the input and the fix', () => {
    expect(parseInputs(abort, { version: '1.5.0', reason: 'x', colour: 'red' })).toEqual({
      ok: false,
      field: 'colour',
      error: 'unknown input "colour": abort takes version, reason, rollback?',
      fix: 'drop colour, or see `relforge dispatch --list`',
    });
    expect(parseInputs(abort, { version: '1.5.0' })).toMatchObject({ field: 'reason', fix: 'give reason=<text>' });
    expect(parseInputs(abort, { version: '1.5.0', reason: 'x', rollback: 'yes' })).toMatchObject({
      error: 'input rollback: expected true or false, got "yes"',
    });
    expect(parseInputs(abort, { version: 'v1', reason: 'x' })).toMatchObject({
      error: 'input version: expected a release version such as 1.5.0 or 1.5.0-rc1',
    });
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
    'refuses %s as an unknown input, though every object inherits it',
    (name) => {
      // As JSON.parse reads a request's body: "__proto__" there is an own key, not the prototype.
      const raw = JSON.parse(`{"version": "1.5.0", "reason": "x", ${JSON.stringify(name)}: "x"}`) as Record<
        string,
        unknown
      >;
      expect(parseInputs(abort, raw)).toEqual({
        ok: false,
        field: name,
        error: `unknown input ${JSON.stringify(name)}: abort takes version, reason, rollback?`,
        fix: `drop ${name}, or see \`relforge dispatch --list\``,
      });
    },
  );

  it('names a train by its final version and refuses a prerelease, whose number is the train’s to choose', () => {
    const promote = operationNamed('train-promote');
    if (!promote) throw new Error('train-promote is registered');
    expect(parseInputs(promote, { version: '2.0.0', channel: 'rc' })).toMatchObject({ ok: true });
    expect(parseInputs(promote, { version: '2.0.0-rc.1', channel: 'rc' })).toEqual({
      ok: false,
      field: 'version',
      error:
        'input version: expected the final version such as 2.0.0, not a prerelease: the train numbers its prereleases itself',
      fix: 'give version=<text>',
    });
    expect(parseInputs(promote, { version: '2.0.0' })).toMatchObject({
      error: 'input channel: required (train-promote takes version, channel)',
    });
    expect(describeOperation(operationNamed('train-start') ?? promote).inputs.map((input) => input.name)).toEqual([
      'version',
      'channel',
    ]);
  });

  it('lists every operation with its inputs, types, defaults and JSON Schema', () => {
    // One entry for each name a config's access rules can name, in the config's order.
    expect(operations.map((operation) => operation.name)).toEqual(OperationName.options);
    expect(OperationName.options).toEqual([
      'release',
      're-release',
      'resume',
      'abort',
      'approve',
      'train-start',
      'train-next',
      'train-promote',
    ]);
    expect(describeOperation(abort).inputs).toEqual([
      { name: 'version', type: 'string', required: true, description: 'The version, e.g. 1.5.0.' },
      { name: 'reason', type: 'string', required: true, description: 'Why, for the audit trail.' },
      {
        name: 'rollback',
        type: 'boolean',
        required: false,
        default: false,
        description: 'Undo what was never public (drafts, unmerged pull requests, unpublished files).',
      },
    ]);
    expect(describeOperation(abort).schema).toMatchObject({ type: 'object', required: ['version', 'reason'] });
  });
});
