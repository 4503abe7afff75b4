import 'reflect-metadata';
import { type INestApplication, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { baseSchema } from '@vigil/config';
import { InProcessBus, Topic, type EventBus } from '@vigil/bus';
import { afterEach, describe, expect, it } from 'vitest';
import {
  byLabel,
  Metrics,
  MetricsController,
  MetricsRegistry,
  metricPrefix,
  metricsDocProblems,
  observeCalls,
  parseExposition,
  perScrape,
  sampleValue,
  ServiceKitModule,
} from '../src';

/** A service of the test: a few metrics of each kind over counters it keeps itself. */
@Injectable()
class Widgets {
  made = 0;
  byColour: Record<string, number> = {};
  reads = 0;
  readonly duration;

  constructor(metrics: Metrics) {
    const stats = perScrape(() => {
      this.reads++;
      return { made: this.made, byColour: { ...this.byColour } };
    });
    metrics.counterFrom({ name: 'widgets_made_total', help: 'Widgets made.' }, () => stats().made);
    metrics.gaugeFrom({ name: 'widgets', help: 'Widgets by colour.', labelNames: ['colour'] }, () =>
      byLabel('colour', stats().byColour),
    );
    this.duration = metrics.histogram({ name: 'widget_seconds', help: 'Making one.', labelNames: ['result'] });
  }
}

function appModule(name: string, bus: EventBus) {
  @Module({
    imports: [ServiceKitModule.forRoot({ name, schema: baseSchema, load: { env: {} }, bus })],
    controllers: [MetricsController],
    providers: [Widgets],
  })
  class AppModule {}
  return AppModule;
}

const apps: INestApplication[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function start(name: string, bus: EventBus = new InProcessBus()) {
  const app = await NestFactory.create(appModule(name, bus), { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  apps.push(app);
  const url = await app.getUrl();
  return { app, scrape: async () => (await fetch(`${url}/metrics`)).text(), url };
}

describe('Metrics and GET /metrics', () => {
  it('serves the text format with the service prefix, read at scrape time, once per scrape', async () => {
    const { app, scrape, url } = await start('widget-maker');
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    // Express puts the charset first; the parameters are Prometheus's text format 0.0.4.
    expect(res.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
    const widgets = app.get(Widgets);
    expect(sampleValue(await res.text(), 'vigil_widget_maker_widgets_made_total')).toBe(0);
    widgets.made = 3;
    widgets.byColour = { red: 2, blue: 1 };
    widgets.duration.observe({ result: 'ok' }, 0.003);
    const reads = widgets.reads;
    const text = await scrape();
    // Both metrics read the same snapshot: one stats() call for the scrape.
    expect(widgets.reads).toBe(reads + 1);
    expect(sampleValue(text, 'vigil_widget_maker_widgets_made_total')).toBe(3);
    expect(sampleValue(text, 'vigil_widget_maker_widgets', { colour: 'red' })).toBe(2);
    expect(sampleValue(text, 'vigil_widget_maker_widget_seconds_count', { result: 'ok' })).toBe(1);
    expect(sampleValue(text, 'vigil_widget_maker_widget_seconds_bucket', { result: 'ok', le: '0.005' })).toBe(1);
    expect(parseExposition(text).get('vigil_widget_maker_widgets_made_total')?.type).toBe('counter');
    // A series whose source went away goes away.
    widgets.byColour = { red: 2 };
    expect(parseExposition(await scrape()).get('vigil_widget_maker_widgets')?.samples).toHaveLength(1);
  });

  it('gives every service instance its own registry, never the global one', async () => {
    const a = await start('twin');
    const b = await start('twin');
    a.app.get(Widgets).made = 5;
    expect(sampleValue(await a.scrape(), 'vigil_twin_widgets_made_total')).toBe(5);
    expect(sampleValue(await b.scrape(), 'vigil_twin_widgets_made_total')).toBe(0);
    expect(await (await import('prom-client')).register.metrics()).not.toContain('vigil_');
  });

  it('names: vigil_<service>_ with the service name made a metric name', () => {
    expect(metricPrefix('policy-engine')).toBe('vigil_policy_engine_');
  });
});

describe('vigil_bus_* of the in-process bus', () => {
  it('count published, delivered, handler errors and drops, and show each consumer lag', async () => {
    const bus = new InProcessBus({ maxQueuedPerConsumer: 3 });
    const { scrape } = await start('bussy', bus);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    bus.subscribe(Topic.events, 'slow', () => gate);
    bus.subscribe(Topic.eventsRaw, 'failing', () => {
      throw new Error('no');
    });
    const before = await scrape();
    expect(sampleValue(before, 'vigil_bus_published_total')).toBe(0);
    await bus.publish(Topic.events, [
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ]);
    // The queue holds 3: this batch of 2 more is dropped for 'slow' and counted.
    await bus.publish(Topic.events, [
      { key: 'c', value: 3 },
      { key: 'd', value: 4 },
    ]);
    await bus.publish(Topic.eventsRaw, [{ key: 'x', value: 0 }]);
    await new Promise((r) => setTimeout(r, 20));
    let text = await scrape();
    expect(sampleValue(text, 'vigil_bus_published_total', { topic: Topic.events })).toBe(4);
    expect(sampleValue(text, 'vigil_bus_dropped_total', { topic: Topic.events, consumer: 'slow' })).toBe(2);
    expect(sampleValue(text, 'vigil_bus_handler_errors_total', { topic: Topic.eventsRaw, consumer: 'failing' })).toBe(
      1,
    );
    expect(sampleValue(text, 'vigil_bus_consumer_lag', { topic: Topic.events, consumer: 'slow', partition: '0' })).toBe(
      2,
    );
    release();
    await bus.flush();
    text = await scrape();
    expect(sampleValue(text, 'vigil_bus_delivered_total', { topic: Topic.events, consumer: 'slow' })).toBe(2);
    expect(sampleValue(text, 'vigil_bus_consumer_lag', { consumer: 'slow' })).toBe(0);
    // Kafka-only metrics are there (TYPE line), without a sample on this transport.
    const kafkaOnly = parseExposition(text).get('vigil_bus_spool_bytes');
    expect(kafkaOnly?.type).toBe('gauge');
    expect(kafkaOnly?.samples).toEqual([]);
  });

  it('counts a lag measurement that failed and shows no lag then', async () => {
    const bus = new InProcessBus();
    const { scrape } = await start('lagless', bus);
    bus.consumerLag = () => Promise.reject(new Error('broker away'));
    bus.subscribe(Topic.events, 'c', () => {});
    const text = await scrape();
    expect(sampleValue(text, 'vigil_bus_consumer_lag_errors_total')).toBe(1);
    expect(parseExposition(text).get('vigil_bus_consumer_lag')?.samples).toEqual([]);
  });

  it('follow the bus given with useBus (a service that builds its own)', async () => {
    const { app, scrape } = await start('own-bus');
    const own = new InProcessBus();
    app.get(Metrics).useBus(own);
    await own.publish(Topic.policies, [{ key: 'p', value: 1 }]);
    expect(sampleValue(await scrape(), 'vigil_bus_published_total', { topic: Topic.policies })).toBe(1);
  });
});

describe('observeCalls', () => {
  it('times each call of one object, with arguments and outcome, leaving results and rejections as they were', async () => {
    class Store {
      async write(rows: number[]): Promise<number> {
        if (rows.length === 0) throw new Error('empty');
        await new Promise((r) => setTimeout(r, 5));
        return rows.length;
      }
    }
    const store = new Store();
    const seen: string[] = [];
    observeCalls(store, 'write', (call) => {
      seen.push(
        `${call.args[0].length}:${call.outcome.ok ? call.outcome.value : (call.outcome.error as Error).message}:${call.seconds >= 0.004}`,
      );
    });
    await expect(store.write([1, 2])).resolves.toBe(2);
    await expect(store.write([])).rejects.toThrow('empty');
    expect(seen).toEqual(['2:2:true', '0:empty:false']);
    // Other instances keep the class's method.
    expect(Object.prototype.hasOwnProperty.call(new Store(), 'write')).toBe(false);
  });

  it('ignores an observer that throws', async () => {
    const target = { run: async () => 7 };
    observeCalls(target, 'run', () => {
      throw new Error('metrics bug');
    });
    await expect(target.run()).resolves.toBe(7);
  });
});

describe('metricsDocProblems', () => {
  const doc = [
    '| metric | type | labels | meaning |',
    '| --- | --- | --- | --- |',
    '| `vigil_t_a_total` | counter | `colour` | a |',
    '| `vigil_t_b` | gauge | — | b |',
    '| `vigil_t_h_seconds` | histogram | `result` | h |',
    '| `vigil_other_x` | gauge | — | not ours |',
  ].join('\n');

  it('agrees when names, types and labels match', async () => {
    const registry = new MetricsRegistry();
    const prom = await import('prom-client');
    new prom.Counter({ name: 'vigil_t_a_total', help: 'a', labelNames: ['colour'], registers: [registry] }).inc({
      colour: 'red',
    });
    new prom.Gauge({ name: 'vigil_t_b', help: 'b', registers: [registry] });
    new prom.Histogram({ name: 'vigil_t_h_seconds', help: 'h', labelNames: ['result'], registers: [registry] }).observe(
      { result: 'ok' },
      1,
    );
    expect(metricsDocProblems(doc, await registry.metrics(), ['vigil_t_'])).toEqual([]);
  });

  it('names each disagreement', async () => {
    const registry = new MetricsRegistry();
    const prom = await import('prom-client');
    new prom.Counter({ name: 'vigil_t_a_total', help: 'a', labelNames: ['shade'], registers: [registry] }).inc({
      shade: 'dark',
    });
    new prom.Counter({ name: 'vigil_t_b', help: 'b', registers: [registry] });
    new prom.Gauge({ name: 'vigil_t_new', help: 'new', registers: [registry] });
    expect(metricsDocProblems(doc, await registry.metrics(), ['vigil_t_'])).toEqual([
      'docs/metrics.md:3: vigil_t_a_total has label(s) shade not documented',
      'docs/metrics.md:4: vigil_t_b is a counter, documented as gauge',
      'docs/metrics.md:5: vigil_t_h_seconds is documented but not exposed',
      'vigil_t_new is exposed but not documented in docs/metrics.md',
    ]);
  });
});
