import { join } from 'node:path';
import { OrderView, type CreateOrderResponse } from '#shared/contracts/orders';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import { CpuRoom } from '../../scripts/local/runtime/cpu-room';
import { eventually } from '../helpers/eventually';
import { orderRequest } from '../helpers/order-world';
import { tempDir } from '../helpers/temp';

/**
 * Order pages' long polls and a checkout on a busy machine (docs/decisions.md D125). Each open order page keeps a
 * `GET /api/orders/{id}?waitFor=<version>` waiting in an order-api instance (up to 25 s), as it would on FC, where
 * the checkout beside it simply gets an instance of its own. Locally the instance caps protect the CPUs; a poll
 * sleeping between two looks at its order uses none, yet before D125 it left the caps only while the CPUs had
 * room (D40) — never during a surge — so a checkout waited for a poll to answer. Here the local cloud runs the
 * real s.yaml with small caps (two order-api instances, two extra in all), three polls wait on an order held at
 * its payment (the sandbox's card that never calls back), then the CPUs are busy — CpuRoom, which measures the
 * local cloud's process, says so, as it does in a surge where that process uses both cores (D110/D120); it is told
 * so here, since on a machine crowded by other work the process may not get its cores and the CPUs look free —
 * and a checkout must be served while all three polls are still open.
 * Nothing is timed: the test looks at which requests were answered while others were still open.
 */
const WARM = ['auth-token', 'order-api', 'product-info', 'product-price', 'product-sales', 'product-shipping', 'payment-sandbox', 'reserve-inventory', 'charge-payment', 'order-notify'];
const POLLS = 3;

describe('order pages long-polling on a busy machine do not hold back a checkout', () => {
  const dir = tempDir('order-long-polls-');
  let cloud: LocalCloud;
  let token: string;
  const open: Promise<unknown>[] = [];

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, instanceCaps: { perFunction: 2, extra: 2, ceiling: 6 } });
    await cloud.runtime.prewarm(cloud.spec.functions.filter((fn) => WARM.includes(fn.resource)).map((fn) => fn.name));
    const res = await fetch(`${cloud.url}/api/auth/token`, { method: 'POST', body: JSON.stringify({ username: 'alice', password: 'alice-demo' }), headers: { 'content-type': 'application/json' } });
    token = ((await res.json()) as { token: string }).token;
  }, 120_000);
  afterAll(async () => {
    jest.restoreAllMocks();
    await Promise.allSettled(open);
    await cloud?.stop();
    dir.cleanup();
  });

  const headers = () => ({ authorization: `Bearer ${token}` });
  const post = async (card: 'noCallback' | 'success') => {
    const res = await fetch(`${cloud.url}/api/orders`, {
      method: 'POST',
      body: JSON.stringify(orderRequest(card, [{ productId: 'p-glide-mouse', qty: 1 }])),
      headers: { ...headers(), 'content-type': 'application/json', 'idempotency-key': `long-polls-${card}-${Date.now()}-${Math.random()}` },
    });
    return { status: res.status, body: (await res.json()) as CreateOrderResponse };
  };
  const getOrder = async (orderId: string, waitFor?: number) => {
    const res = await fetch(`${cloud.url}/api/orders/${orderId}${waitFor === undefined ? '' : `?waitFor=${waitFor}`}`, { headers: headers() });
    return { status: res.status, view: OrderView.parse(await res.json()) };
  };
  const orderApi = () => cloud.runtime.poolStats().find((p) => p.resource === 'order-api')!;

  it('a checkout is served while three long polls wait, with the CPUs busy; every answer is a 2xx', async () => {
    // An order held at its payment: the sandbox never calls back, so it stays PAYMENT_PENDING for the callback's 30 s.
    const held = await post('noCallback');
    expect(held.status).toBe(202);
    const pending = await eventually(async () => {
      const { view } = await getOrder(held.body.orderId);
      expect(view.status).toBe('PAYMENT_PENDING');
      return view;
    });

    // Three order pages wait for it to move (up to 25 s each): more than order-api's cap of two.
    const polls = Array.from({ length: POLLS }, () => {
      const poll = { done: false, answer: undefined as Awaited<ReturnType<typeof getOrder>> | undefined };
      const request = getOrder(held.body.orderId, pending.version).then((answer) => {
        poll.done = true;
        poll.answer = answer;
      });
      open.push(request);
      return { poll, request };
    });
    await eventually(() => expect(orderApi()).toMatchObject({ busy: POLLS, parked: POLLS, queued: 0 }));

    // A surge keeps the CPUs busy; a shopper checks out meanwhile.
    const busyCpus = jest.spyOn(CpuRoom.prototype, 'hasRoom').mockReturnValue(false);
    let answered = false;
    const checkout = post('success').finally(() => (answered = true));
    open.push(checkout);
    // Served by an instance of its own while the polls wait (before D125 it waited in line for a poll to answer).
    await eventually(() => expect(answered || orderApi().busy === POLLS + 1).toBe(true), { timeoutMs: 15_000 });
    busyCpus.mockRestore();
    const placed = await checkout;
    expect(placed.status).toBe(202);
    expect(polls.map(({ poll }) => poll.done)).toEqual(Array(POLLS).fill(false));

    // The polls answer at their cap with the unchanged order: 200, not an error.
    await Promise.all(polls.map(({ request }) => request));
    for (const { poll } of polls) expect(poll.answer).toMatchObject({ status: 200, view: { orderId: held.body.orderId, version: pending.version, status: 'PAYMENT_PENDING' } });
  }, 90_000);
});
