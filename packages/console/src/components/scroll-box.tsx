import type { ComponentChildren } from 'preact';

/**
 * A wide table's sideways scroller. At a phone's width the table scrolls inside it instead of
 * widening the page; it takes the focus so the keyboard can scroll it too (WCAG 2.1.1), and its
 * label says what a screen reader lands in.
 */
export function ScrollBox(props: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable
    <section class="table-scroll" aria-label={props.label} tabIndex={0}>
      {props.children}
    </section>
  );
}
