/**
 * The fake Binance (tests/helpers/fake-exchange.ts) refuses what Binance refuses, so a feed that
 * sent a malformed request would fail its tests instead of being served "every row": a non-numeric
 * klines parameter is HTTP 400 with Binance's {code:-1100,msg} error, a limit above 1000 is 400
 * -1130, and an unknown websocket method gets error code 2 with the request's id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FakeExchange } from '../helpers/fake-exchange.ts';
import { groundTruth } from './binance-helpers.ts';

let ex: FakeExchange;
beforeAll(async () => {
  ex = await FakeExchange.start({ series: groundTruth(20), timeframe: '5m' });
  ex.tick();
  ex.tick();
});
afterAll(() => ex?.stop());

const klines = (query: string) => fetch(`${ex.restBase}/api/v3/klines?symbol=LTCBTC&interval=5m&${query}`);

describe('fake Binance refusals', () => {
  it('answers a non-numeric startTime with 400 -1100, not with every row', async () => {
    const res = await klines('startTime=2018-01-10');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: -1100, msg: "Illegal characters found in parameter 'startTime'; legal range is '^[0-9]{1,20}$'." });
    expect((await klines('endTime=NaN')).status).toBe(400);
    expect((await klines('limit=1001')).status).toBe(400);
    const ok = await klines(`startTime=${ex.openTime(1)}`);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as unknown[][]).map((r) => r[0])).toEqual([ex.openTime(1), ex.openTime(2)]);
  });

  it('answers an unknown websocket method with error code 2 and the request id; lists subscriptions', async () => {
    const ws = new WebSocket(`${ex.wsBase}/stream`);
    const frames: unknown[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(String(d))));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['ltcbtc@kline_5m'], id: 1 }));
    ws.send(JSON.stringify({ method: 'SUBSCRIB', params: ['ltcbtc@kline_5m'], id: 2 }));
    ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 3 }));
    await expect.poll(() => frames.length).toBe(3);
    expect(frames[0]).toEqual({ result: null, id: 1 });
    expect(frames[1]).toMatchObject({ error: { code: 2 }, id: 2 });
    expect((frames[1] as { error: { msg: string } }).error.msg).toContain('unknown variant `SUBSCRIB`');
    expect(frames[2]).toEqual({ result: ['ltcbtc@kline_5m'], id: 3 });
    ws.close();
  });
});
