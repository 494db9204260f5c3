/**
 * Collects frames as they arrive and hands them on in one batch per animation frame. An
 * LLM answer arrives as thousands of small frames; applying each one separately would
 * re-render the page thousands of times, while the screen can show ~60 states a second.
 * A timer backs the animation frame up, because hidden tabs get no animation frames and
 * the frames would otherwise pile up until the tab is shown again.
 */
export interface FrameBatcher<T> {
  push(item: T): void;
  /** Hands on whatever is waiting, now. */
  flush(): void;
  /** Drops anything waiting and stops the timers. */
  dispose(): void;
}

export interface BatchScheduler {
  request(run: () => void): () => void;
}

/** requestAnimationFrame, or a timer after `fallbackMs` when no frame comes (hidden tab). */
export function animationFrameScheduler(fallbackMs = 250): BatchScheduler {
  return {
    request(run) {
      let done = false;
      const once = () => {
        if (done) return;
        done = true;
        cancel();
        run();
      };
      const raf = typeof requestAnimationFrame === "function" ? requestAnimationFrame(once) : null;
      const timer = setTimeout(once, fallbackMs);
      const cancel = () => {
        if (raf != null) cancelAnimationFrame(raf);
        clearTimeout(timer);
      };
      return () => {
        done = true;
        cancel();
      };
    },
  };
}

export function createFrameBatcher<T>(deliver: (items: T[]) => void, scheduler: BatchScheduler = animationFrameScheduler()): FrameBatcher<T> {
  let queue: T[] = [];
  let cancel: (() => void) | null = null;
  const flush = () => {
    cancel?.();
    cancel = null;
    if (queue.length === 0) return;
    const items = queue;
    queue = [];
    deliver(items);
  };
  return {
    push(item) {
      queue.push(item);
      cancel ??= scheduler.request(flush);
    },
    flush,
    dispose() {
      cancel?.();
      cancel = null;
      queue = [];
    },
  };
}
