/**
 * sleeptime's own limits on one local generation, beside the token limit: a wall-clock limit and
 * the loop detector. Either one stops the generation gracefully (node-llama-cpp's
 * `stopOnAbortSignal`): the call keeps what was produced and says why it was cut
 * (finishReason `{unified: 'length', raw: GenerationCut}`). The caller's own abort signal still
 * throws, as an abort always has.
 */
import { DEFAULT_LOOP_DETECTION, LoopDetector, type LoopDetection, type TrailingLoop } from './repetition-guard.js';

/** Why sleeptime cut a generation short: the `raw` finish reason the engine records. */
export type GenerationCut = 'time-limit' | 'repetition';

export interface GenerationBoundsOptions {
  /** Milliseconds from now; 0 for no time limit. */
  timeLimitMs: number;
  /** Watch the output for verbatim loops. */
  stopOnLoop: boolean;
  loopDetection?: LoopDetection;
  /** The caller's signal: aborting it stops the generation too, and the call throws. */
  callerSignal?: AbortSignal | undefined;
}

export class GenerationBounds {
  /** For the generation: aborted by the caller or by a limit. */
  readonly signal: AbortSignal;
  private readonly stopper = new AbortController();
  private readonly timer: ReturnType<typeof setTimeout> | undefined;
  private readonly loopDetector: LoopDetector | undefined;
  private reason: GenerationCut | undefined;

  constructor(options: GenerationBoundsOptions) {
    this.signal = options.callerSignal === undefined ? this.stopper.signal : AbortSignal.any([options.callerSignal, this.stopper.signal]);
    this.loopDetector = options.stopOnLoop ? new LoopDetector(options.loopDetection ?? DEFAULT_LOOP_DETECTION) : undefined;
    if (options.timeLimitMs > 0) {
      this.timer = setTimeout(() => this.cut('time-limit'), options.timeLimitMs);
      // A pending limit must not keep a process alive on its own.
      this.timer.unref?.();
    }
  }

  /** Feeds the next piece of generated text (answer, thoughts, tool-call arguments) to the loop detector. */
  observe(text: string): void {
    if (this.loopDetector?.push(text) === true) this.cut('repetition');
  }

  /** The limit that stopped the generation, if one did. */
  get cutBy(): GenerationCut | undefined {
    return this.reason;
  }

  /** The loop that stopped the generation, if that is what did. */
  get loop(): TrailingLoop | undefined {
    return this.reason === 'repetition' ? this.loopDetector?.loop : undefined;
  }

  /** Stops the clock; call once the generation is over. */
  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private cut(reason: GenerationCut): void {
    if (this.reason !== undefined || this.stopper.signal.aborted) return;
    this.reason = reason;
    this.stopper.abort(new Error(`generation stopped: ${reason}`));
  }
}
