/** Text between tags: peer text is user input, and must not become markup. */
export function escapeHtmlText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Text anywhere in a page, attribute values included. */
export function escapeHtml(text: string): string {
  return escapeHtmlText(text).replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}
