// Errors the runner reports to the user as one line (the machine's fault, not mtest's nor the examples').

/** A worker cannot be started here (its log file cannot be created, …). */
export class WorkerStartError extends Error {}
