import { constants, type Stats } from 'node:fs';
import { access, open, realpath, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { ExitCode, SetupError } from '@shortlist/config';

/**
 * The checks of command-line arguments that name files and folders, made before any work: each problem is one
 * line naming the option (runCommand prints it), exit 64, or 73 for an output that cannot be created.
 */
export class ArgumentError extends SetupError {
  override readonly name = 'ArgumentError';
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.usage,
  ) {
    super(message);
  }
}

/** Undefined when the path cannot be examined (missing, or unreadable): each caller names the option at fault. */
export const statOf = (path: string): Promise<Stats | undefined> => stat(path).catch(() => undefined);

const WHY: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'a read-only file system',
};

const writable = (path: string) =>
  access(path, constants.W_OK).then(
    () => true,
    () => false,
  );

/**
 * Where a path really leads, links followed: the file itself when it exists, else its folder's real path and its
 * name (a file about to be written); the path as given when even the folder is missing.
 */
export async function realPath(path: string): Promise<string> {
  const real = await realpath(path).catch(() => undefined);
  if (real) return real;
  const folder = await realpath(dirname(resolve(path))).catch(() => undefined);
  return folder ? join(folder, basename(path)) : resolve(path);
}

/** Whether `path` is `folder` or lies anywhere below it, once links are followed (a link into it counts). */
const isWithin = async (path: string, folder: string): Promise<boolean> => {
  const rel = relative(await realPath(folder), await realPath(path));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** An integer option within [min, max], for commander: `--top 0: expected an integer from 1 to 10000`. */
export const integerIn = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
  return n;
};

/** A decimal number as typed (`0.5`, `-1`, `1e-2`), or undefined: no hexadecimal, no empty string, no Infinity. */
export const decimal = (text: string): number | undefined =>
  /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text.trim()) ? Number(text) : undefined;

/** An input that must be a readable file. */
export async function checkInputFile(option: string, path: string): Promise<void> {
  const found = await statOf(path);
  if (!found) throw new ArgumentError(`${option} ${path}: no such file`);
  if (found.isDirectory()) throw new ArgumentError(`${option} ${path}: is a folder; give a file`);
}

/**
 * An output file that can be created or replaced, and that is none of the command's inputs (writing it would
 * destroy one): `inputs` are files it must not be, or folders it must not lie in, each with why.
 */
export async function checkOutputFile(
  option: string,
  path: string,
  inputs: { path: string; folder?: boolean; why: string }[] = [],
): Promise<void> {
  const found = await statOf(path);
  for (const input of inputs) {
    const same = input.folder
      ? await isWithin(path, input.path)
      : (await realPath(input.path)) === (await realPath(path)) ||
        (found !== undefined && (await statOf(input.path))?.ino === found.ino && found.ino !== 0);
    if (same) throw new ArgumentError(`${option} ${path}: ${input.why}; write it elsewhere`);
  }
  if (found?.isDirectory())
    throw new ArgumentError(`${option} ${path}: is a folder; give a file name`, ExitCode.cannotCreate);
  const folder = dirname(resolve(path));
  if (!(await statOf(folder))?.isDirectory())
    throw new ArgumentError(`${option} ${path}: no such folder ${folder}`, ExitCode.cannotCreate);
  // Opened as the command will write it (append: nothing in it is lost now), which also catches read-only file
  // systems and a superuser's writes that permissions do not stop (/sys, /proc).
  const failure = await open(path, 'a').then(
    async (file) => {
      await file.close();
      return undefined;
    },
    (error: NodeJS.ErrnoException) => error.code ?? 'an error',
  );
  if (failure === undefined && !found) await rm(path, { force: true });
  if (failure !== undefined)
    throw new ArgumentError(
      `${option} ${path}: cannot write there (${WHY[failure] ?? failure})`,
      ExitCode.cannotCreate,
    );
}

/** A folder the command keeps its data in: one that exists, or that can be made (its nearest existing parent). */
export async function checkDataFolder(option: string, path: string): Promise<void> {
  let existing = resolve(path);
  let found = await statOf(existing);
  while (!found && dirname(existing) !== existing) {
    existing = dirname(existing);
    found = await statOf(existing);
  }
  if (found && !found.isDirectory())
    throw new ArgumentError(
      existing === resolve(path)
        ? `${option} ${path}: is a file; give a folder`
        : `${option} ${path}: cannot be made, ${existing} is a file`,
      ExitCode.cannotCreate,
    );
  if (!(await writable(existing)))
    throw new ArgumentError(
      `${option} ${path}: cannot write in ${existing} (permission denied)`,
      ExitCode.cannotCreate,
    );
}
