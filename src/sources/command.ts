/** A dump (or conntrack table) printed by the user's own command (`--source-cmd`, `--conntrack-cmd`), run through /bin/sh -c. */
import { decodeDump } from './decode.js';
import { describeFailure, runProgram, succeeded, type RunOptions } from './spawn.js';
import { SourceError } from './types.js';

export async function readDumpCommand(command: string, options: RunOptions = {}, flag = '--source-cmd'): Promise<string> {
  const result = await runProgram('/bin/sh', ['-c', command], options);
  if (!succeeded(result)) {
    const detail = describeFailure(result);
    throw new SourceError(`${flag} ${JSON.stringify(command)} ${detail}`, detail);
  }
  return decodeDump(result.stdout);
}
