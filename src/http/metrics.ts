// Prometheus metrics: e-mails by status and the age of the oldest due one (read from the
// database at scrape time, so every instance reports the shared queue), plus this process's
// campaigns and deliveries.
import net from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { sameSecret } from '../access/index.js';
import type { Postroom } from '../app.js';
import { certificateDaysLeft, secretDaysLeft } from '../settings/index.js';

export function createMetrics(postroom: Postroom): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'postroom_process_' });

  new Gauge({
    name: 'postroom_emails',
    help: 'E-mails in the database, by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const counts = await postroom.queue.counts();
      for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
    },
  });

  new Gauge({
    name: 'postroom_oldest_due_email_age_seconds',
    help: 'How long the oldest e-mail that is due (pending or error) has been waiting; 0 when none',
    registers: [registry],
    async collect() {
      this.set((await postroom.queue.oldestDueAgeMs()) / 1000);
    },
  });

  new Gauge({
    name: 'postroom_configuration_complete',
    help: '1 when the email configuration has no problems (sending can happen), else 0',
    registers: [registry],
    async collect() {
      this.set((await postroom.settings.view()).problems.length === 0 ? 1 : 0);
    },
  });

  new Gauge({
    name: 'postroom_client_secret_expiry_days',
    help: 'Days until the Microsoft client secret expires, by the recorded date (absent when none is recorded)',
    registers: [registry],
    async collect() {
      // The view, not load(): it opens no secret, so a wrong master key does not break /metrics.
      const days = secretDaysLeft((await postroom.settings.view()).settings);
      this.reset();
      if (days !== null) this.set(days);
    },
  });

  new Gauge({
    name: 'postroom_webhook_deliveries',
    help: 'Webhook deliveries kept (for retentionDays), by state: pending (waiting or retrying), delivered, failed (given up)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const { deliveries } = await postroom.webhooks.counts();
      for (const [state, n] of Object.entries(deliveries)) this.set({ state }, n);
    },
  });

  new Gauge({
    name: 'postroom_webhooks_disabled',
    help: 'Webhooks disabled after failing for 24 hours (their host applications hear nothing)',
    registers: [registry],
    async collect() {
      this.set((await postroom.webhooks.counts()).disabled);
    },
  });

  new Gauge({
    name: 'postroom_client_certificate_expiry_days',
    help: 'Days until the Microsoft client certificate expires, read from the certificate (absent without one)',
    registers: [registry],
    async collect() {
      const days = certificateDaysLeft((await postroom.settings.view()).settings);
      this.reset();
      if (days !== null) this.set(days);
    },
  });

  const campaigns = new Histogram({
    name: 'postroom_campaign_duration_seconds',
    help: 'Duration of the campaigns of this process',
    labelNames: ['state'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [registry],
  });
  const deliveries = new Counter({
    name: 'postroom_deliveries_total',
    help: 'Delivery attempts of this process, by route, outcome and reply class (2xx, 4xx, 5xx, none)',
    labelNames: ['route', 'outcome', 'reply_class'],
    registers: [registry],
  });
  const bounces = new Counter({
    name: 'postroom_bounces_total',
    help: "Recipients' delivery reports recorded by this process: bounces by type (hard, soft, policy) and delay notices (delayed)",
    labelNames: ['type'],
    registers: [registry],
  });
  const reports = new Counter({
    name: 'postroom_delivery_reports_total',
    help: "Delivery reports read from the postmaster's mailbox by this process, by result (matched, unmatched, duplicate, unreadable)",
    labelNames: ['result'],
    registers: [registry],
  });
  const checks = new Counter({
    name: 'postroom_mailbox_checks_total',
    help: "Checks of the postmaster's mailbox by this process, by outcome (done, error; busy: another instance was checking)",
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const type of ['hard', 'soft', 'policy', 'delayed']) bounces.inc({ type }, 0);
  postroom.bounces.observe({
    report(r) {
      reports.inc({ result: r.result });
      for (const recipient of r.recipients) {
        if (recipient.action === 'delayed') bounces.inc({ type: 'delayed' });
        else if (recipient.action === 'failed' && recipient.type) bounces.inc({ type: recipient.type });
      }
    },
    check: (o) => checks.inc({ outcome: o.state }),
  });
  postroom.dispatcher.observe({
    campaign: (r) => campaigns.observe({ state: r.outcome.state }, r.durationMs / 1000),
    attempt: (a) => deliveries.inc({ route: a.route, outcome: a.outcome, reply_class: a.replyCode ? `${String(a.replyCode)[0]}xx` : 'none' }),
  });
  return registry;
}

export interface MetricsAccessOptions {
  /** POSTROOM_METRICS_TOKEN: what Prometheus sends as `Authorization: Bearer …`. */
  token?: string | undefined;
  /** POSTROOM_METRICS_ALLOW: client addresses and subnets that need no token. */
  allow?: string[];
  /** POSTROOM_METRICS_HOSTS: the names Prometheus scrapes this server by, besides IP addresses and localhost. */
  hosts?: string[];
}

/** What the credentials and the address are worth: `wrong-host` is an allowed address asking under a name not ours. */
export type MetricsGrant = 'granted' | 'wrong-host' | 'denied';

/** The host name of a Host header ("[::1]:8080" → "::1"), lower case, without the root's dot. */
export function hostNameOf(header: string): string {
  const h = header.trim().toLowerCase();
  const name = h.startsWith('[') ? h.slice(1, h.indexOf(']') >>> 0) : h.replace(/:\d*$/, '');
  return name.replace(/\.$/, '');
}

/** Who may scrape /metrics without an administrator session: the metrics token or an allowed address. */
export class MetricsAccess {
  private readonly allowed = new net.BlockList();
  private readonly token: string | undefined;
  private readonly hosts: Set<string>;

  constructor(options: MetricsAccessOptions = {}) {
    this.token = options.token || undefined;
    this.hosts = new Set(['localhost', ...(options.hosts ?? []).map(hostNameOf)]);
    for (const entry of options.allow ?? []) {
      const [address = '', prefix] = entry.split('/');
      const type = net.isIPv6(address) ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.allowed.addAddress(address, type);
      else this.allowed.addSubnet(address, Number(prefix), type);
    }
  }

  /**
   * The bearer token is the metrics token, or the client address is on the list and asks for
   * this server by an IP address or a name of ours. Against DNS rebinding: a page in a browser
   * on an allowed network, whose name the attacker pointed at this server, sends its own name.
   */
  permits(clientAddress: string, authorization: string | undefined, host?: string): MetricsGrant {
    const bearer = /^Bearer +(\S+)$/i.exec(authorization ?? '')?.[1];
    if (this.token && bearer && sameSecret(bearer, this.token)) return 'granted';
    // An IPv4 client on a dual-stack socket appears as ::ffff:a.b.c.d.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(clientAddress)?.[1];
    const address = mapped ?? clientAddress;
    const type = net.isIPv6(address) ? 'ipv6' : 'ipv4';
    if (net.isIP(address) === 0 || !this.allowed.check(address, type)) return 'denied';
    if (host === undefined) return 'granted';
    const name = hostNameOf(host);
    return net.isIP(name) !== 0 || this.hosts.has(name) ? 'granted' : 'wrong-host';
  }
}
