// Small display helpers shared by the pages.

export function formatScore(score: number | null | undefined): string {
  return score === null || score === undefined ? "–" : Math.round(score).toString();
}

/** "25 Nov 2026, 14:03" in the user's locale and time zone. */
export function formatDate(iso: string | null | undefined, locale?: string): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleString(locale, {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

export function capitalise(s: string): string {
  return s.length === 0 ? s : s[0]!.toUpperCase() + s.slice(1);
}

/** "14:03:07" in the user's locale. */
export function formatTime(iso: string | null | undefined, locale?: string): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export const breakerLabel: Record<string, string> = {
  closed: "Healthy",
  open: "Paused",
  half_open: "Trying again",
  forced_open: "Switched off",
};

/** "812 KB", "3.4 MB" (1 KB = 1,024 bytes, as file managers show). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}
