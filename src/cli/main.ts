// Entry point of the `haven` command. Placeholder until the CLI lands.
export function run(argv: readonly string[]): Promise<number> {
  return Promise.resolve(argv.length > 0 ? 0 : 1);
}
