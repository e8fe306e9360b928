// Downloading the report: the token travels in the Authorization header only, errors read well.

import { describe, expect, it } from 'vitest';
import { fetchReport, reportErrorMessage, reportFileName, reportUrl } from '../src/report';

const TOKEN = 'AbCdEfGhIjKlMnOpQrStUv';

describe('report download', () => {
  it('names the file after the room and the role', () => {
    expect(reportFileName('k3x9q2m7tz4c', 'candidate', 'json')).toBe('mockroom-k3x9q2m7tz4c-candidate.json');
    expect(reportFileName('k3x9q2m7tz4c', 'interviewer', 'md')).toBe('mockroom-k3x9q2m7tz4c-interviewer.md');
    expect(reportFileName('a/b..c', 'observer', 'md')).toBe('mockroom-a_b__c-observer.md');
  });

  it('asks with a bearer header and never puts the token in the URL', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const result = await fetchReport(async (url, init) => {
      calls.push({ url, init });
      return new Response('{"for":"candidate"}', { status: 200, headers: { 'Content-Type': 'application/json' } });
    }, 'room1', TOKEN, 'candidate', 'json');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe(reportUrl('room1', 'json'));
    expect(calls[0]!.url).toBe('/api/rooms/room1/report?format=json');
    expect(calls[0]!.url).not.toContain(TOKEN);
    expect((calls[0]!.init.headers as Record<string, string>).Authorization).toBe(`Bearer ${TOKEN}`);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.fileName).toBe('mockroom-room1-candidate.json');
      expect(await result.blob.text()).toBe('{"for":"candidate"}');
    }
  });

  it('shows the server\'s error message, or the status', async () => {
    const refused = await fetchReport(async () => new Response(
      '{"error":{"code":"forbidden","message":"this link does not open that room"}}', { status: 403 }),
    'room1', TOKEN, 'observer', 'md');
    expect(refused).toEqual({ ok: false, message: 'this link does not open that room' });
    expect(reportErrorMessage(500, '<html>oops</html>')).toBe('the server answered 500');
    expect(reportErrorMessage(401, '{"error":{"code":"unauthorized"}}')).toBe('the server answered 401 (unauthorized)');
    const offline = await fetchReport(async () => { throw new TypeError('Failed to fetch'); },
      'room1', TOKEN, 'candidate', 'md');
    expect(offline.ok).toBe(false);
    if (!offline.ok) expect(offline.message).toMatch(/could not be reached/);
  });
});
