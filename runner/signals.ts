// SIGINT, SIGTERM and SIGHUP stop a run the same way in every mode: the runner of the moment stops (workers
// killed, or the serial file abandoned), what did not run is reported as not run, the report is finished
// and the exit status has bit 128. The listeners stay for the rest of the process, so a second signal
// while the report is being written is only counted, never the end of the report. Under --serial the
// process addon also counts them from the signal handler itself, so the watchdog thread sees a signal that
// a stuck main thread cannot act on.
import { processAddon } from './process-addon.js';

export const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

type Stop = (signal: NodeJS.Signals) => void;

class StopSignals {
  received = 0;
  last?: NodeJS.Signals;
  private readonly stops = new Set<Stop>();
  private installed = false;

  /** Listen from now on (idempotent). */
  install(): void {
    if (this.installed) return;
    this.installed = true;
    for (const signal of STOP_SIGNALS) process.on(signal, this.onSignal);
    // After Node's handlers exist, so the addon's handler runs before them and hands the signal on.
    processAddon()?.watchSignals();
  }

  /** Call `stop` for every stop signal while subscribed; returns the unsubscribe function. */
  subscribe(stop: Stop): () => void {
    this.install();
    this.stops.add(stop);
    return () => this.stops.delete(stop);
  }

  /** Stop what runs now as a stop signal would, without one (--watch cancels a run whose inputs changed). */
  stopNow(): void {
    for (const stop of [...this.stops]) stop('SIGINT');
  }

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.received++;
    this.last = signal;
    for (const stop of [...this.stops]) stop(signal);
  };
}

export const stopSignals = new StopSignals();
