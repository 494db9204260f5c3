/** At most `max` characters of `text`, with an ellipsis when something was cut. */
export function clipText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
