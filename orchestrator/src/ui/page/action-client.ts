import type { UiActionRequest, UiActionResult } from "../protocol.js";

/**
 * POST /api/action with the page's token (X-P2plab-Token, from the page's meta tag): the answer,
 * or what went wrong on the way as an error of the same shape, so the page shows both alike.
 */
export async function postAction(token: string, request: UiActionRequest): Promise<UiActionResult> {
  let response: Response;
  try {
    response = await fetch("/api/action", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-P2plab-Token": token },
      body: JSON.stringify(request),
    });
  } catch (error) {
    return {
      ok: false,
      error: `the lab ui server did not answer: ${(error as Error).message}`,
      hint: "is `lab ui` still running?",
    };
  }
  const body = await response.text();
  try {
    return JSON.parse(body) as UiActionResult;
  } catch {
    return { ok: false, error: `the server answered ${response.status} ${response.statusText}: ${body.slice(0, 200)}` };
  }
}
