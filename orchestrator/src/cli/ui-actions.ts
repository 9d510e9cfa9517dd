import { PROCESS_FAULTS } from "../faults/process-faults.js";
import { control } from "../lab/control.js";
import type { Lab } from "../lab/lab.js";
import { checkMessageText, send } from "../lab/send.js";
import type { UiActionRequest } from "../ui/protocol.js";
import { controlLines } from "./commands/control.js";
import {
  delayRequest,
  doNetworkFault,
  lossRequest,
  networkLines,
  pairRequest,
  partitionRequest,
  rateRequest,
  type FaultAsked,
} from "./commands/network.js";
import { durationFlag } from "./context.js";
import { colors } from "./output.js";
import { renderSendResult } from "./render.js";
import { GRACE_DEFAULT, parseFaultWords } from "./program.js";

const plain = colors(false);

/**
 * One of `lab ui`'s controls, done as its CLI command does it (the same lab functions, the same
 * checks, journalled the same way), answered with the lines that command prints, without colour.
 * Bad input throws the command's InputError. Kept in cli/, which owns the commands' words and
 * output; `lab ui` hands it to the server.
 */
export async function uiAction(lab: Lab, request: UiActionRequest, signal: AbortSignal): Promise<string[]> {
  switch (request.action) {
    case "send": {
      checkMessageText(request.text);
      return renderSendResult(await send(lab, request.peer, request.text, signal), plain);
    }
    case "partition":
    case "heal":
    case "cut":
    case "link":
    case "loss":
    case "delay":
    case "rate":
      return networkLines(await doNetworkFault(lab, faultAsked(request.action, request.args), signal), plain);
    default: {
      const graceMs = PROCESS_FAULTS[request.action].graceful ? durationFlag("--grace", GRACE_DEFAULT) : 0;
      return controlLines(await control(lab, request.action, request.peer, Math.ceil(graceMs / 1000), signal), plain);
    }
  }
}

/** A network fault's words, parsed and checked as `lab <fault> WORDS…` would be. */
function faultAsked(name: Extract<UiActionRequest, { args: string[] }>["action"], words: string[]): FaultAsked {
  switch (name) {
    case "partition": {
      const command = parseFaultWords(name, words);
      return partitionRequest(command.processedArgs[0], command.opts());
    }
    case "heal":
      parseFaultWords(name, words);
      return { kind: "heal" };
    case "cut":
    case "link": {
      const command = parseFaultWords(name, words);
      const [a, b] = command.processedArgs;
      return pairRequest(name, a, b, command.opts());
    }
    case "loss": {
      const command = parseFaultWords(name, words);
      return lossRequest(...command.processedArgs, command.opts());
    }
    case "delay": {
      const command = parseFaultWords(name, words);
      return delayRequest(...command.processedArgs, command.opts());
    }
    case "rate":
      return rateRequest(...parseFaultWords(name, words).processedArgs);
  }
}
