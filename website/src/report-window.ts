/**
 * A report's window in words, which is what tells one report from another in the dashboard's list:
 * "Nov 27, 2026, 9:00 AM–10:00 AM" within one day, "Nov 26, 2026, 1:39 PM – Nov 27, 2026, 1:39 PM" across days.
 * `timeZone` and `locale` default to the browser's (tests pin them).
 */
export function reportWindowText(from: string, to: string, options: { locale?: string; timeZone?: string } = {}): string {
  const day = new Intl.DateTimeFormat(options.locale, { dateStyle: 'medium', timeZone: options.timeZone });
  const time = new Intl.DateTimeFormat(options.locale, { timeStyle: 'short', timeZone: options.timeZone });
  const start = new Date(from);
  const end = new Date(to);
  if (day.format(start) === day.format(end)) return `${day.format(start)}, ${time.format(start)}–${time.format(end)}`;
  return `${day.format(start)}, ${time.format(start)} – ${day.format(end)}, ${time.format(end)}`;
}

/** When a report was made, in the same words as its window (to the second: two reports of one window differ there). */
export function reportCreatedText(at: string, options: { locale?: string; timeZone?: string } = {}): string {
  return new Intl.DateTimeFormat(options.locale, { dateStyle: 'medium', timeStyle: 'medium', timeZone: options.timeZone }).format(new Date(at));
}
