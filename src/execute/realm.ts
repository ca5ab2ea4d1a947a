// Examples share the realm with mtest's own code (so that `instanceof` works as in a normal module). A few
// changes to that realm break mtest itself rather than the example: a `then` on Object.prototype turns
// every object mtest resolves a promise with into a thenable that never settles (the run stopped without a
// report), a deleted `globalThis.process` or `globalThis.Buffer` makes mtest's next line throw (or a
// library's that mtest loads later). Right after every example's code returns, before mtest runs anything
// of its own, those few are put back and the example is told so in a warning. Everything else an example does to the realm (fake timers, a patched console) is its own.

// Taken when this module loads, before any example runs.
const getOwn = Reflect.getOwnPropertyDescriptor;
const define = Reflect.defineProperty;
const remove = Reflect.deleteProperty;
const realGlobal = globalThis;

/** Globals mtest's own code cannot do without. */
const GLOBALS = ['process', 'Promise', 'JSON', 'Reflect', 'Object', 'Array', 'Symbol', 'Error', 'Buffer'] as const;
const global = realGlobal as unknown as Record<string, unknown>;
const savedDescriptors = GLOBALS.map((name) => getOwn(realGlobal, name));
const savedValues = GLOBALS.map((name) => global[name]);

/** Prototypes that must not gain a `then` (promise resolution would treat their objects as thenables). */
const NO_THEN_NAMES = ['Object.prototype', 'Array.prototype', 'Function.prototype'];
const NO_THEN: object[] = [Object.prototype, Array.prototype, Function.prototype];
const hasOwn = Object.hasOwn;
const promisePrototype = Promise.prototype;
const promiseThen = getOwn(promisePrototype, 'then');
const then = promisePrototype.then;

/**
 * Put back what an example changed that mtest relies on; returns one warning per repair. Usually none,
 * found with plain property reads (this runs after every example; descriptors only when one changed).
 */
export function repairRealm(): string[] | undefined {
  // The common case in a few monomorphic loads (a keyed load on the global object is a slow path).
  if (
    realGlobal.process === savedValues[0] &&
    realGlobal.Promise === savedValues[1] &&
    realGlobal.JSON === savedValues[2] &&
    realGlobal.Reflect === savedValues[3] &&
    realGlobal.Object === savedValues[4] &&
    realGlobal.Array === savedValues[5] &&
    realGlobal.Symbol === savedValues[6] &&
    realGlobal.Error === savedValues[7] &&
    (realGlobal as { Buffer?: unknown }).Buffer === savedValues[8] &&
    !hasOwn(NO_THEN[0], 'then') &&
    !hasOwn(NO_THEN[1], 'then') &&
    !hasOwn(NO_THEN[2], 'then') &&
    promisePrototype.then === then
  ) {
    return undefined;
  }
  let warnings: string[] | undefined;
  const say = (text: string): void => {
    (warnings ??= []).push(text);
  };
  // Indexed loops: this runs after every example, and allocates nothing when nothing changed.
  for (let k = 0; k < GLOBALS.length; k++) {
    const descriptor = savedDescriptors[k];
    if (global[GLOBALS[k]] === savedValues[k] || !descriptor) continue;
    const now = getOwn(realGlobal, GLOBALS[k]);
    define(realGlobal, GLOBALS[k], descriptor);
    say(`the example ${now ? 'replaced' : 'deleted'} globalThis.${GLOBALS[k]}; mtest put it back`);
  }
  for (let k = 0; k < NO_THEN.length; k++) {
    if (!hasOwn(NO_THEN[k], 'then')) continue;
    remove(NO_THEN[k], 'then');
    say(`the example defined ${NO_THEN_NAMES[k]}.then, which makes every object a thenable that never settles; mtest removed it`);
  }
  if (promisePrototype.then !== then && promiseThen) {
    define(promisePrototype, 'then', promiseThen);
    say('the example replaced Promise.prototype.then; mtest put it back');
  }
  return warnings;
}
