import { describe, expect, it } from 'vitest';
import { loadContract, servedOperationIds, type Operation } from '../src/index.js';

const contract = loadContract();

function operation(id: string): Operation {
  const found = contract.operations.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no operation ${id}`);
  return found;
}

describe('the OpenAPI contract', () => {
  it('finds every served operation in @octokit/openapi 23.0.2', () => {
    expect(contract.operations.map((candidate) => candidate.id).sort()).toEqual([...servedOperationIds].sort());
  });

  it('routes the tag lookup and the asset paths to the right operations', () => {
    expect(contract.route('GET', '/repos/a/b/releases/tags/v1.0.0')?.operation.id).toBe('repos/get-release-by-tag');
    expect(contract.route('GET', '/repos/a/b/releases/latest')?.operation.id).toBe('repos/get-latest-release');
    expect(contract.route('GET', '/repos/a/b/releases/assets/12')?.operation.id).toBe('repos/get-release-asset');
    expect(contract.route('POST', '/repos/a/b/releases/12/assets')?.operation.id).toBe('repos/upload-release-asset');
    expect(contract.route('PUT', '/repos/a/b/releases/12')).toBeUndefined();
  });

  it('rejects a release asset that lacks required fields or has the wrong types', () => {
    const issues = contract.checkResponse(operation('repos/list-release-assets'), 200, [{ id: 'seven', name: 'x' }]);
    expect(issues).toContainEqual({ at: 'body/0', message: "must have required property 'digest'" });
    expect(issues).toContainEqual({ at: 'body/0/id', message: 'must be integer' });
  });

  it("admits null where GitHub's schema says nullable, also beside $ref, and nowhere else", () => {
    const pull = operation('pulls/get');
    const nullableRefIssues = contract.checkResponse(pull, 200, { milestone: null, assignee: null, body: null });
    expect(nullableRefIssues.filter((issue) => /milestone|assignee|\/body/.test(issue.at))).toEqual([]);
    const nonNullable = contract.checkResponse(pull, 200, { title: null });
    expect(nonNullable).toContainEqual({ at: 'body/title', message: 'must be string' });
  });

  it('holds undocumented error statuses to basic-error and refuses undocumented successes', () => {
    const getRelease = operation('repos/get-release');
    expect(
      contract.checkResponse(getRelease, 404, {
        message: 'Not Found',
        documentation_url: 'https://docs.github.com/rest',
      }),
    ).toEqual([]);
    expect(contract.checkResponse(getRelease, 404, { message: 42 })).toContainEqual({
      at: 'body/message',
      message: 'must be string',
    });
    expect(contract.checkResponse(getRelease, 204, undefined)).toEqual([
      { at: 'status', message: 'repos/get-release does not document status 204' },
    ]);
  });

  it('checks query parameters with the types the description declares', () => {
    const list = operation('repos/list-releases');
    expect(
      contract.checkRequest(list, { params: { owner: 'a', repo: 'b' }, query: { per_page: '30', page: '2' } }),
    ).toEqual([]);
    expect(contract.checkRequest(list, { params: { owner: 'a', repo: 'b' }, query: { per_page: 'many' } })).toEqual([
      { at: 'query/per_page', message: 'must be integer' },
    ]);
  });
});
