import { describe, expect, it } from 'vitest';
import { audienceProblem, GRAPH_APP_ID } from '../../src/auth/audience.js';

describe('audienceProblem: is the token for the Graph root in use?', () => {
  it.each([
    ['https://graph.microsoft.com', 'https://graph.microsoft.com'],
    ['https://graph.microsoft.com/', 'https://graph.microsoft.com'],
    [GRAPH_APP_ID, 'https://graph.microsoft.com'],
    ['https://graph.microsoft.us', 'https://graph.microsoft.us'],
    ['https://graph.microsoft.com', 'http://127.0.0.1:4567'],
    ['http://127.0.0.1:4567', 'http://127.0.0.1:4567'],
  ])('aud %s for %s: accepted', (aud, root) => {
    expect(audienceProblem({ aud }, root)).toBeUndefined();
  });

  it('a token for the Azure management API is refused, the hint filled in (no placeholders)', () => {
    const problem = audienceProblem({ aud: 'https://management.azure.com/' }, 'https://graph.microsoft.com');
    expect(problem).toBe(
      'the token is for https://management.azure.com/ (its aud claim), not Microsoft Graph at https://graph.microsoft.com: get a token for the scope https://graph.microsoft.com/.default (e.g. az account get-access-token --resource https://graph.microsoft.com), or check --cloud / --graph-url',
    );
    expect(problem).not.toMatch(/[{}]/);
  });

  it("another cloud's Graph is refused for a known root", () => {
    expect(audienceProblem({ aud: 'https://graph.microsoft.us' }, 'https://graph.microsoft.com')).toMatch(
      /not Microsoft Graph at https:\/\/graph\.microsoft\.com/,
    );
  });

  it('an array aud passes when one of them is Graph; no claims or no aud cannot be told', () => {
    expect(audienceProblem({ aud: ['api://x', 'https://graph.microsoft.com'] }, 'https://graph.microsoft.com')).toBeUndefined();
    expect(audienceProblem(undefined, 'https://graph.microsoft.com')).toBeUndefined();
    expect(audienceProblem({ roles: [] }, 'https://graph.microsoft.com')).toBeUndefined();
  });
});
