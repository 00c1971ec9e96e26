// Small display helpers shared by the pages.

export function formatScore(score: number | null | undefined): string {
  return score === null || score === undefined ? "–" : Math.round(score).toString();
}

/** "1 model", "3 models": a count with its noun in the right number. */
export function countOf(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A change as shown: whole points with its sign and a minus sign (not a hyphen) for a fall — "+4", "−3", "0".
 * The core sends changes as the difference of the whole-point scores it shows beside them. */
export function formatChange(change: number): string {
  const r = Math.round(change);
  return r > 0 ? `+${r}` : r < 0 ? `\u2212${-r}` : "0";
}

/** The locale dates are written in: the system's regional format as the shell reads it at start (the web
 * view alone follows only the language); `en-GB` on a system without one (C, POSIX). */
let systemLocale: string | undefined;

export function useDateLocale(locale: string | null | undefined): void {
  systemLocale = locale ?? undefined;
}

/** The locale for a date: the one asked for, else the system's. */
export function dateLocale(locale?: string): string | undefined {
  return locale ?? systemLocale;
}

/** "25 Nov 2026, 14:03" in the user's locale and time zone. */
export function formatDate(iso: string | null | undefined, locale?: string): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleString(dateLocale(locale), {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** "just now", "5 minutes ago", "yesterday", "3 days ago", then the date ("12 Mar 2026"); in the future
 * (review dates) "in 3 days". Lists show this with the full date on hover. */
export function relativeDate(iso: string | null | undefined, now: Date = new Date(), locale?: string): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const secs = Math.round((now.getTime() - d.getTime()) / 1000);
  const ahead = secs < 0;
  const a = Math.abs(secs);
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const say = (text: string) => (ahead ? `in ${text}` : `${text} ago`);
  if (a < 45) return ahead ? "in a moment" : "just now";
  if (a < 3600) return say(unit(Math.max(1, Math.round(a / 60)), "minute"));
  if (a < 86400) return say(unit(Math.round(a / 3600), "hour"));
  const days = Math.round(a / 86400);
  if (days === 1) return ahead ? "tomorrow" : "yesterday";
  if (days < 7) return say(unit(days, "day"));
  if (days < 30) return say(unit(Math.round(days / 7), "week"));
  return d.toLocaleDateString(dateLocale(locale), { day: "numeric", month: "short", year: "numeric" });
}

export function capitalise(s: string): string {
  return s.length === 0 ? s : s[0]!.toUpperCase() + s.slice(1);
}

/** "14:03:07" in the user's locale. */
export function formatTime(iso: string | null | undefined, locale?: string): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleTimeString(dateLocale(locale), { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export const breakerLabel: Record<string, string> = {
  closed: "Closed: calls go through",
  open: "Open: paused after failures",
  half_open: "Half open: trying again",
  forced_open: "Switched off by you",
};

/** "812 KB", "3.4 MB" (1 KB = 1,024 bytes, as file managers show). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** A length of time in words: "45 s", "12 min", "3 h 5 min", "2 days". */
export function humanSeconds(secs: number): string {
  const s = Math.max(0, Math.round(secs));
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  return `${Math.round(h / 24)} days`;
}
