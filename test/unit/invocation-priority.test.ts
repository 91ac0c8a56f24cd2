import { readlinkSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InstanceBudget, type BudgetedPool } from '../../scripts/local/runtime/function-pool';
import { instanceAtPort, newCallerPorts, noteOwnConnections } from '../../scripts/local/runtime/caller-ports';
import { backgroundNice, classOfSource, DEFAULT_BACKGROUND_NICE, YieldedThreadStalls } from '../../scripts/local/runtime/priority';
import { classOf } from '../../scripts/local/runtime/runtime';
import { BackgroundGate, backgroundSlots, defaultBackgroundSlots } from '../../scripts/local/runtime/background-gate';
import { eventually } from '../helpers/eventually';

describe('invocation classes (D143)', () => {
  it('classes event-driven sources as background and what a person waits on as interactive', () => {
    for (const source of ['tablestore:images-stream', 'eventbridge:readings']) expect(classOfSource(source)).toBe('background');
    for (const source of ['http', 'invoke-api', 'console', 'cli', 'seed', 'flow:order-saga/o-1/ChargePayment', 'test']) expect(classOfSource(source)).toBe('interactive');
  });

  it('takes the class the caller gives before the source’s, and the source’s when no instance called', () => {
    expect(classOf({ source: 'http', priority: 'background' })).toBe('background');
    expect(classOf({ source: 'oss:uploads', priority: 'background' })).toBe('background');
    expect(classOf({ source: 'invoke-api', callerPort: 1 })).toBe('interactive'); // port 1: no instance of ours
    expect(classOf({ source: 'eventbridge:x', callerPort: 65535 })).toBe('background');
  });

  it('reads LOCAL_BACKGROUND_NICE, refusing by name what is not a nice value', () => {
    expect(backgroundNice({})).toBe(DEFAULT_BACKGROUND_NICE);
    expect(backgroundNice({ LOCAL_BACKGROUND_NICE: '0' })).toBe(0);
    expect(backgroundNice({ LOCAL_BACKGROUND_NICE: '19' })).toBe(19);
    for (const bad of ['-1', '20', '5.5', 'low']) expect(() => backgroundNice({ LOCAL_BACKGROUND_NICE: bad })).toThrow(/LOCAL_BACKGROUND_NICE must be a whole number from 0 to 19, got/);
  });

  it('a yielded thread’s stalls are the main thread’s plus its own waits for a CPU, held and released with the main thread’s', () => {
    const main = { held: 0, hold() { this.held++; }, release() { this.held--; }, stalledMs: () => 40 };
    // This very thread: its run-queue wait is a number that only grows (Linux); elsewhere it counts as none.
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    const stalls = new YieldedThreadStalls(main, tid);
    stalls.hold();
    expect(main.held).toBe(1);
    const first = stalls.stalledMs();
    expect(first).toBeGreaterThanOrEqual(40);
    expect(stalls.stalledMs()).toBeGreaterThanOrEqual(first);
    stalls.release();
    expect(main.held).toBe(0);
  });
});

describe('caller ports (D143)', () => {
  let server: Server;
  let stop: () => void = () => undefined;
  afterEach(async () => {
    stop();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('names the instance that owns the connection a request came on, and forgets it when the connection closes', async () => {
    const table = newCallerPorts();
    const seen: (number | undefined)[] = [];
    const owners = new Int32Array(table);
    server = createServer((req, res) => {
      seen.push(owners[req.socket.remotePort!] || undefined);
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    stop = noteOwnConnections(table, 7);
    const port = (server.address() as AddressInfo).port;
    let clientPort = 0;
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, agent: false }, (res) => {
        clientPort = res.socket.localPort!;
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
    expect(seen).toEqual([7]);
    // The connection closes with agent:false: its entry goes with it.
    await eventually(() => expect(owners[clientPort]).toBe(0));
    // The process's own table answers nothing for ports no instance noted.
    expect(instanceAtPort(clientPort)).toBeUndefined();
    expect(instanceAtPort(undefined)).toBeUndefined();
    expect(instanceAtPort(70000)).toBeUndefined();
  });
});

describe('InstanceBudget: room for a line with an interactive request first (D143)', () => {
  class WaitingPool implements BudgetedPool {
    size = 2;
    startingCount = 0;
    constructor(
      readonly name: string,
      private readonly interactive: boolean,
      private readonly order: string[],
    ) {}
    idleInstances() {
      return [];
    }
    parkedCount() {
      return 0;
    }
    parkedOnTimersCount() {
      return 0;
    }
    waitsForInteractive() {
      return this.interactive;
    }
    onSlotFree() {
      this.order.push(this.name);
    }
  }

  it('asks pools whose line starts with an interactive request before the others, each group in its order', () => {
    const order: string[] = [];
    const budget = new InstanceBudget(0);
    const pools = [new WaitingPool('etl', false, order), new WaitingPool('thumbs', false, order), new WaitingPool('bff', true, order), new WaitingPool('info', true, order)];
    for (const pool of pools) {
      budget.register(pool);
      budget.wait(pool);
    }
    budget.freed();
    expect(order).toEqual(['bff', 'info', 'etl', 'thumbs']);
  });
});

describe('BackgroundGate: background work bounded while interactive work is under way (D143)', () => {
  it('lets any number run while nothing interactive is under way', () => {
    const gate = new BackgroundGate(1, () => false);
    expect([gate.enter(), gate.enter(), gate.enter()]).toEqual([undefined, undefined, undefined]);
  });

  it('holds background work beyond its slots while interactive work is under way, and lets it go in order as slots free', async () => {
    const gate = new BackgroundGate(1, () => true);
    const order: string[] = [];
    expect(gate.enter()).toBeUndefined();
    const second = gate.enter()!.then(() => order.push('second'));
    const third = gate.enter()!.then(() => order.push('third'));
    expect(gate.waiting).toBe(2);
    gate.leave();
    await second;
    expect(order).toEqual(['second']);
    expect(gate.waiting).toBe(1);
    gate.leave();
    await third;
    expect(order).toEqual(['second', 'third']);
    gate.leave();
    gate.close();
  });

  it('lets the held go once the interactive work is over, without waiting for a slot', async () => {
    let underWay = true;
    const gate = new BackgroundGate(1, () => underWay);
    void gate.enter();
    const held = gate.enter()!;
    gate.interactiveEnded(); // still under way elsewhere: nothing moves
    expect(gate.waiting).toBe(1);
    underWay = false;
    gate.interactiveEnded();
    await held;
    expect(gate.waiting).toBe(0);
    gate.close();
  });

  it('a slot count of 0 means no bound; one per CPU by default; LOCAL_BACKGROUND_SLOTS refused by name when not a count', () => {
    const gate = new BackgroundGate(0, () => true);
    expect([gate.enter(), gate.enter()]).toEqual([undefined, undefined]);
    expect(defaultBackgroundSlots(2)).toBe(2);
    expect(defaultBackgroundSlots(0.5)).toBe(1);
    expect(backgroundSlots({ LOCAL_BACKGROUND_SLOTS: '0' })).toBe(0);
    expect(backgroundSlots({ LOCAL_BACKGROUND_SLOTS: '3' })).toBe(3);
    for (const bad of ['-1', '1.5', 'some']) expect(() => backgroundSlots({ LOCAL_BACKGROUND_SLOTS: bad })).toThrow(/LOCAL_BACKGROUND_SLOTS must be a whole number ≥ 0/);
  });
});
