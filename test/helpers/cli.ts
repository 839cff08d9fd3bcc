// The built `postroom` command run as an administrator runs it, on a data directory of the test's
// own: none of the caller's POSTROOM_* variables leak in, and stdout, stderr and the exit code come back.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'postroom.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without the caller's POSTROOM_* variables (nor node:test's own). */
export const cleanEnv = (): NodeJS.ProcessEnv => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('POSTROOM_') && k !== 'NODE_TEST_CONTEXT'));

/** A runner of `postroom ARGS…` with these POSTROOM_* variables (the data directory, the master key). */
export function postroomCommand(env: NodeJS.ProcessEnv): (...args: string[]) => Promise<CliRun> {
  return (...args) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  };
}
