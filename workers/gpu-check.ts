import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What the GPU probe found. */
export interface GpuProbe {
  available: boolean;
  /** `nvidia-smi -L` lines, e.g. "GPU 0: NVIDIA H100 80GB HBM3 (UUID: ...)". */
  devices: string[];
  reason: string;
}

/** Detects NVIDIA GPUs with `nvidia-smi -L` (present on every host with the NVIDIA driver). */
export async function probeGpu(): Promise<GpuProbe> {
  try {
    const { stdout } = await run('nvidia-smi', ['-L'], { timeout: 10_000 });
    const devices = stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('GPU '));
    if (devices.length === 0) return { available: false, devices, reason: 'nvidia-smi lists no GPU' };
    return { available: true, devices, reason: `${devices.length} GPU(s) found` };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      available: false,
      devices: [],
      reason:
        code === 'ENOENT'
          ? 'nvidia-smi not found (no NVIDIA driver on this host)'
          : `nvidia-smi failed: ${(err as Error).message}`,
    };
  }
}
