// A small history router: the console has a handful of pages, each a path the server also
// answers with the console, so a reload or a bookmark lands on the same page.
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

export function navigate(to: string): void {
  if (to === location.pathname + location.search + location.hash) return;
  history.pushState(null, '', to);
  listeners.forEach((l) => l());
}

/** Replaces the query string without a new history entry (filters, search). */
export function replaceQuery(params: URLSearchParams): void {
  const q = params.toString();
  history.replaceState(null, '', location.pathname + (q ? `?${q}` : ''));
  listeners.forEach((l) => l());
}

export function useLocation(): string {
  return useSyncExternalStore(subscribe, () => location.pathname + location.search + location.hash);
}

export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const follow = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={follow} {...rest} />;
}
