// Links in rendered model output never navigate the app window (the shell blocks that anyway): a click
// opens the link in the system's browser or mail program, through the shell.
import { commands } from "./commands";

/** The link a click landed on, if it is one the system may open (http, https, mailto). */
export function externalHref(target: EventTarget | null): string | null {
  const el = target instanceof Element ? target.closest("a[href]") : null;
  const href = el?.getAttribute("href") ?? null;
  return href !== null && /^(?:https?:|mailto:)/i.test(href) ? href : null;
}

/** A Svelte action for a container of rendered Markdown: link clicks open outside the app. */
export function externalLinks(node: HTMLElement): { destroy: () => void } {
  const onClick = (e: MouseEvent) => {
    const inLink = e.target instanceof Element && e.target.closest("a[href]") !== null;
    if (!inLink) return;
    // Never followed in the window, whatever the link is.
    e.preventDefault();
    const href = externalHref(e.target);
    if (href !== null) void commands.openExternal(href).catch(() => {});
  };
  node.addEventListener("click", onClick);
  return { destroy: () => node.removeEventListener("click", onClick) };
}
