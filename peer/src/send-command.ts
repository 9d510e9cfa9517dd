/**
 * `/send REF TEXT` on a peer's stdin: a chat message like a plain line, whose `sent` event also
 * carries REF. The lab types every message this way with a fresh REF, so it can tell its own send
 * from another of the same text at the same moment.
 */
const SEND = /^\/send ([A-Za-z0-9_.:-]{1,64}) (.*)$/s;

export const SEND_USAGE = "usage: /send REF TEXT (REF: 1 to 64 letters, digits, '.', '_', ':' or '-')";

export function sendCommand(ref: string, text: string): string {
  return `/send ${ref} ${text}`;
}

/** The ref and text of a well-formed `/send` line; undefined for anything else. */
export function parseSendCommand(line: string): { ref: string; text: string } | undefined {
  const match = SEND.exec(line);
  return match ? { ref: match[1]!, text: match[2]! } : undefined;
}
