/**
 * The keys that appear more than once at the top level of a JSON object's text (JSON.parse silently keeps the
 * last value of a repeated key). `json` must be valid JSON whose top level is an object; keys are compared
 * after unescaping, in order of their second occurrence.
 */
export function duplicateKeys(json: string): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === QUOTE) {
      let j = i + 1;
      let escaped = false;
      while (j < json.length) {
        const d = json.charCodeAt(j);
        if (d === BACKSLASH) {
          escaped = true;
          j += 2;
        } else if (d === QUOTE) break;
        else j++;
      }
      if (depth === 1 && expectKey) {
        const key = escaped ? (JSON.parse(json.slice(i, j + 1)) as string) : json.slice(i + 1, j);
        if (seen.has(key)) repeated.add(key);
        else seen.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      expectKey = c === OPEN_BRACE && depth === 1;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
    else if (c === COMMA && depth === 1) expectKey = true;
  }
  return [...repeated];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
