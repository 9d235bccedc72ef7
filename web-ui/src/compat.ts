/**
 * Tiny fallbacks for what Chrome 61 (the township tablets' WebView) lacks and a dependency might call:
 * queueMicrotask (Chrome 71; uPlot's deferred hooks) and Promise.prototype.finally (Chrome 63). The UI's own code
 * sticks to ES2017 library calls (web-ui/tsconfig.json has lib ES2017, so tsc refuses newer ones).
 */
interface CompatWindow {
  queueMicrotask?: (fn: () => void) => void;
}

const w = window as unknown as CompatWindow;
if (typeof w.queueMicrotask !== 'function') {
  w.queueMicrotask = (fn: () => void): void => {
    Promise.resolve().then(fn);
  };
}

interface PromiseWithFinally {
  finally?: (fn: () => void) => Promise<unknown>;
}

const proto = Promise.prototype as unknown as PromiseWithFinally;
if (typeof proto.finally !== 'function') {
  proto.finally = function (this: Promise<unknown>, fn: () => void): Promise<unknown> {
    return this.then(
      (v) => Promise.resolve(fn()).then(() => v),
      (e: unknown) =>
        Promise.resolve(fn()).then(() => {
          throw e;
        }),
    );
  };
}

export {};
