/**
 * The rules for one chat message's text, shared by the peer (stdin and the wire), the topology
 * schema, `lab send` and the scenario's send step: one owner, so nothing the CLI accepts is
 * refused, split or mangled further down.
 *
 * The limit is on the text as the peer's events carry it (JSON-encoded), not on its raw bytes:
 * a `recv` event is the text plus a few hundred bytes of fields, and must stay one line of the
 * engine's log, which the engine splits at 16 KiB. Control characters are refused outright, so
 * the worst encoding is a quote or backslash at 2 bytes each.
 */
export const MAX_MESSAGE_ENCODED_BYTES = 8 * 1024;

/** C0 and C1 controls (CR, ESC, NUL, tab, DEL …), and lone UTF-16 surrogates, which no byte stream can carry. */
const FORBIDDEN = /[\p{Cc}\p{Cs}\u2028\u2029]/u;

/** Why this text cannot be one chat message, or undefined when it can. */
export function messageTextProblem(text: string): string | undefined {
  if (text.trim() === "") return "a message needs some text";
  const forbidden = FORBIDDEN.exec(text);
  if (forbidden)
    return `a message cannot contain control characters (found ${describeCodePoint(forbidden[0])} at position ${forbidden.index})`;
  if (text.startsWith("/")) return `"${text.split(" ")[0]}" would be a command to the peer, not a message`;
  const encoded = encodedTextBytes(text);
  if (encoded > MAX_MESSAGE_ENCODED_BYTES) {
    return `a message is at most ${MAX_MESSAGE_ENCODED_BYTES} bytes as JSON (this one is ${encoded}; quotes and backslashes count twice)`;
  }
  return undefined;
}

/** The text's size inside a JSON string, quotes excluded. */
export function encodedTextBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text)) - 2;
}

function describeCodePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}
