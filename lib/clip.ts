/** `text`, cut to `max` characters with `...` when longer: keeps messages short when a value is one enormous line. */
export function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
