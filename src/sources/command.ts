/** A dump printed by the user's own command (`--source-cmd`), run once through /bin/sh -c. */
import { decodeDump } from './decode.js';
import { describeFailure, runProgram } from './spawn.js';
import { SourceError } from './types.js';

export async function readDumpCommand(command: string): Promise<string> {
  const result = await runProgram('/bin/sh', ['-c', command]);
  if (result.status !== 0 || result.startError || result.tooBig) {
    throw new SourceError(`--source-cmd ${JSON.stringify(command)} ${describeFailure(result)}`);
  }
  return decodeDump(result.stdout);
}
