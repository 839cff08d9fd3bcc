// The route the settings choose, kept open between cycles, and whether it works: checked
// before sending (connect, secure, sign in, sender), and again after any route failure.
import type { Logger } from 'pino';
import { errorMessage } from '../db/index.js';
import { createRoute, type MicrosoftEndpoints, type Route, type RouteOptions } from '../transports/index.js';
import type { SendingPolicy } from './policy.js';

/** What the console and `postroom status` show about the route. */
export interface RouteState {
  state: 'unchecked' | 'working' | 'failing';
  route: string | null;
  /** The failure with the server's reply, while failing. */
  message: string | null;
  /** Since when it fails (ISO), while failing. */
  since: string | null;
}

/** `recovered`: the route was failing and works again. */
export type RouteCheck = { ok: true; route: Route; recovered: boolean } | { ok: false; route: Route; message: string };

export class RouteHealth {
  private current: { key: string; route: Route } | null = null;
  private verified = false;
  private fault: { message: string; since: number } | null = null;
  private checking: Promise<RouteCheck> | null = null;
  /** Routes the settings replaced, still the pipeline's until it is moved on (see retire()). */
  private replaced: Route[] = [];

  constructor(
    private readonly log: Logger,
    private readonly options: RouteOptions | undefined,
    private readonly endpoints: MicrosoftEndpoints | undefined,
  ) {}

  /** The route for this policy, checked when it is new or has failed since the last check. */
  async ready(policy: SendingPolicy): Promise<RouteCheck> {
    const route = await this.routeFor(policy);
    if (this.verified && !this.fault) return { ok: true, route, recovered: false };
    return this.check(route);
  }

  /** A send met a failure every e-mail would meet: checks again at once (single flight). */
  failed(route: Route, message: string): Promise<RouteCheck> {
    if (this.current?.route !== route) return Promise.resolve({ ok: false, route, message });
    this.verified = false;
    this.setFault(route, message);
    return this.check(route);
  }

  state(): RouteState {
    return {
      state: this.fault ? 'failing' : this.verified ? 'working' : 'unchecked',
      route: this.current?.route.description ?? null,
      message: this.fault?.message ?? null,
      since: this.fault ? new Date(this.fault.since).toISOString() : null,
    };
  }

  /**
   * Closes the routes the settings replaced, once the pipeline has moved to the new one or
   * stopped. In-flight sends on them finish first: close() waits for them.
   */
  retire(): void {
    for (const route of this.replaced.splice(0)) void route.close();
  }

  async close(): Promise<void> {
    const routes = [...this.replaced.splice(0), ...(this.current ? [this.current.route] : [])];
    this.current = null;
    await Promise.all(routes.map((r) => r.close()));
  }

  private check(route: Route): Promise<RouteCheck> {
    this.checking ??= (async (): Promise<RouteCheck> => {
      try {
        await route.verify();
        const recovered = this.fault !== null;
        if (recovered) this.log.info({ route: route.description }, 'route works again');
        this.fault = null;
        this.verified = true;
        return { ok: true, route, recovered };
      } catch (err) {
        const message = errorMessage(err);
        this.setFault(route, message);
        return { ok: false, route, message };
      } finally {
        this.checking = null;
      }
    })();
    return this.checking;
  }

  private setFault(route: Route, message: string): void {
    if (this.fault?.message !== message) this.log.warn({ route: route.description, reason: message }, 'route failing: e-mails wait');
    this.fault = { message, since: this.fault?.since ?? Date.now() };
  }

  private async routeFor(policy: SendingPolicy): Promise<Route> {
    if (this.current?.key === policy.routeKey) return this.current.route;
    const old = this.current?.route;
    const route = createRoute(policy.settings, this.options, this.endpoints);
    this.current = { key: policy.routeKey, route };
    this.verified = false;
    this.fault = null;
    // Not closed yet: until the pipeline moves to the new route it keeps sending on the old one,
    // which would otherwise open fresh connections nobody closes.
    if (old) this.replaced.push(old);
    this.log.debug({ route: route.description }, 'route built');
    return route;
  }
}
