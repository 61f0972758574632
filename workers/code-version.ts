import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The code version recorded in lineage: MLOPS_CODE_VERSION, else the git commit, else the package version. */
export function detectCodeVersion(explicit?: string): string {
  if (explicit) return explicit;
  try {
    const sha = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
    if (sha) return dirty ? `git:${sha}-dirty` : `git:${sha}`;
  } catch {
    // not a git checkout
  }
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return `temporal-mlops@${pkg.version}`;
}
