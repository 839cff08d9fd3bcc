// Prometheus metrics: e-mails by status and the age of the oldest due one (read from the
// database at scrape time, so every instance reports the shared queue), plus this process's
// campaigns and deliveries.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
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
  postroom.dispatcher.observe({
    campaign: (r) => campaigns.observe({ state: r.outcome.state }, r.durationMs / 1000),
    attempt: (a) => deliveries.inc({ route: a.route, outcome: a.outcome, reply_class: a.replyCode ? `${String(a.replyCode)[0]}xx` : 'none' }),
  });
  return registry;
}
