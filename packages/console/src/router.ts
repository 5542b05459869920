import type { RefObject } from 'preact';
import { useEffect, useState } from 'preact/hooks';

export type PageId = 'models' | 'try' | 'traffic' | 'keys' | 'jobs' | 'sign-in';

const PAGES: readonly PageId[] = ['models', 'try', 'traffic', 'keys', 'jobs', 'sign-in'];

/** The page named by the URL's fragment (`#/models`); the fragment never reaches the server. */
export function currentPage(): PageId {
  const name = location.hash.replace(/^#\/?/, '').split('?')[0] ?? '';
  return (PAGES as readonly string[]).includes(name) ? (name as PageId) : 'models';
}

export function usePage(): PageId {
  const [page, setPage] = useState(currentPage);
  useEffect(() => {
    const onChange = () => setPage(currentPage());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return page;
}

export function go(page: PageId): void {
  location.hash = `#/${page}`;
}

/** Each page's <h1>, focused when the page is shown (so a screen reader announces it). */
export type HeadingRef = RefObject<HTMLHeadingElement | null>;
