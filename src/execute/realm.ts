// Examples share the realm with mtest's own code (so that `instanceof` works as in a normal module). A few
// changes to that realm break mtest itself rather than the example: a `then` on Object.prototype turns
// every object mtest resolves a promise with into a thenable that never settles (the run stopped without a
// report), a deleted `globalThis.process` makes mtest's next line throw. Right after every example's code
// returns, before mtest runs anything of its own, those few are put back and the example is told so in a
// warning. Everything else an example does to the realm (fake timers, a patched console) is its own.

// Taken when this module loads, before any example runs.
const getOwn = Reflect.getOwnPropertyDescriptor;
const define = Reflect.defineProperty;
const remove = Reflect.deleteProperty;
const realGlobal = globalThis;

/** Globals mtest's own code cannot do without. */
const GLOBALS = ['process', 'Promise', 'JSON', 'Reflect', 'Object', 'Array', 'Symbol', 'Error'] as const;
const savedGlobals = GLOBALS.map((name) => [name, getOwn(realGlobal, name)] as const);

/** Prototypes that must not gain a `then` (promise resolution would treat their objects as thenables). */
const NO_THEN: [string, object][] = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['Function.prototype', Function.prototype],
];
const promiseThen = getOwn(Promise.prototype, 'then');

/**
 * Put back what an example changed that mtest relies on; returns one warning per repair (usually none:
 * a handful of property reads per example).
 */
export function repairRealm(): string[] | undefined {
  let warnings: string[] | undefined;
  const say = (text: string): void => {
    (warnings ??= []).push(text);
  };
  for (const [name, descriptor] of savedGlobals) {
    const now = getOwn(realGlobal, name);
    if (descriptor && (!now || now.value !== descriptor.value || now.get !== descriptor.get)) {
      define(realGlobal, name, descriptor);
      say(`the example ${now ? 'replaced' : 'deleted'} globalThis.${name}; mtest put it back`);
    }
  }
  for (const [name, proto] of NO_THEN) {
    if (getOwn(proto, 'then')) {
      remove(proto, 'then');
      say(`the example defined ${name}.then, which makes every object a thenable that never settles; mtest removed it`);
    }
  }
  const then = getOwn(Promise.prototype, 'then');
  if (promiseThen && then?.value !== promiseThen.value) {
    define(Promise.prototype, 'then', promiseThen);
    say('the example replaced Promise.prototype.then; mtest put it back');
  }
  return warnings;
}
