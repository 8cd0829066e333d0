// Exit statuses of the haven command, documented in docs/operations.md.
export const EXIT = {
  ok: 0,
  /** The command failed: for verify, the cluster definition has errors or cannot be read. */
  errors: 1,
  /** The cluster definition has warnings and no errors. */
  warnings: 2,
  /** The command line itself was wrong (BSD sysexits EX_USAGE). */
  usage: 64,
} as const;
