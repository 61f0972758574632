/** FileArtifactStore on a real directory: atomic writes, checksum sidecars, key and URI rules. */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactChecksumError, ArtifactNotFoundError, ArtifactUriError } from '../../lib/artifacts/errors.js';
import { FileArtifactStore, fileUriToPath } from '../../lib/artifacts/file-store.js';
import { openArtifactStore, readUri } from '../../lib/artifacts/open-store.js';
import { S3ArtifactStore } from '../../lib/artifacts/s3-store.js';

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

async function listAll(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe('FileArtifactStore', () => {
  let dir: string;
  let store: FileArtifactStore;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mlops-file-store-'));
    store = new FileArtifactStore(pathToFileURL(dir).href);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('normalizes the base URI and maps keys to URIs', () => {
    expect(store.baseUri).toBe(`${pathToFileURL(dir).href}/`);
    expect(new FileArtifactStore(`${pathToFileURL(dir).href}/`).baseUri).toBe(store.baseUri);
    expect(store.uriFor('models/churn/runs/r1/model.onnx')).toBe(`${store.baseUri}models/churn/runs/r1/model.onnx`);
    expect(store.uriFor('a b/c%d.json')).toBe(`${store.baseUri}a%20b/c%25d.json`);
  });

  it('puts and gets bytes and strings, recording the sha256 in a sidecar', async () => {
    const ref = await store.put('models/churn/runs/r1/model.onnx', new Uint8Array([1, 2, 3, 255]));
    expect(ref).toEqual({
      uri: store.uriFor('models/churn/runs/r1/model.onnx'),
      sha256: sha(new Uint8Array([1, 2, 3, 255])),
      size: 4,
    });
    expect(await store.get('models/churn/runs/r1/model.onnx')).toEqual(new Uint8Array([1, 2, 3, 255]));
    expect(await store.get(ref.uri, ref.sha256)).toEqual(new Uint8Array([1, 2, 3, 255]));
    expect(await store.get(ref.uri, ref.sha256.toUpperCase())).toEqual(new Uint8Array([1, 2, 3, 255]));
    const sidecar = await readFile(path.join(dir, 'models/churn/runs/r1/model.onnx.sha256'), 'utf8');
    expect(sidecar.trim()).toBe(ref.sha256);

    const text = await store.put('reports/r1.json', '{"ok":true,"é":1}');
    expect(text.size).toBe(Buffer.byteLength('{"ok":true,"é":1}'));
    expect(Buffer.from(await store.get('reports/r1.json')).toString('utf8')).toBe('{"ok":true,"é":1}');

    // Overwrite.
    const again = await store.put('reports/r1.json', 'v2');
    expect(again.sha256).toBe(sha('v2'));
    expect(Buffer.from(await store.get('reports/r1.json')).toString()).toBe('v2');
    // Nothing but the objects and their sidecars (no temporary files left).
    expect(await listAll(dir)).toEqual([
      'models/churn/runs/r1/model.onnx',
      'models/churn/runs/r1/model.onnx.sha256',
      'reports/r1.json',
      'reports/r1.json.sha256',
    ]);
  });

  it('detects corruption without an expected checksum, and a wrong expected checksum', async () => {
    const ref = await store.put('corrupt/model.bin', 'original bytes');
    await writeFile(path.join(dir, 'corrupt/model.bin'), 'tampered bytes'); // out of band
    const err = await store.get('corrupt/model.bin').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactChecksumError);
    expect(err).toMatchObject({ uri: ref.uri, expected: ref.sha256, actual: sha('tampered bytes') });
    await expect(readUri(ref.uri)).rejects.toBeInstanceOf(ArtifactChecksumError);

    await store.put('corrupt/other.bin', 'fine');
    await expect(store.get('corrupt/other.bin', sha('something else'))).rejects.toBeInstanceOf(ArtifactChecksumError);
    // A damaged sidecar is corruption too, not "no checksum".
    await writeFile(path.join(dir, 'corrupt/other.bin.sha256'), 'garbage');
    await expect(store.get('corrupt/other.bin')).rejects.toBeInstanceOf(ArtifactChecksumError);
  });

  it('reports missing objects, exists and delete', async () => {
    await expect(store.get('missing/thing.bin')).rejects.toBeInstanceOf(ArtifactNotFoundError);
    await expect(store.get('reports')).rejects.toBeInstanceOf(ArtifactNotFoundError); // a directory
    expect(await store.exists('missing/thing.bin')).toBe(false);
    expect(await store.exists('reports')).toBe(false);
    const ref = await store.put('del/me.txt', 'x');
    expect(await store.exists(ref.uri)).toBe(true);
    await store.delete(ref.uri);
    await store.delete('del/me.txt'); // again: not an error
    expect(await store.exists('del/me.txt')).toBe(false);
    expect(await listAll(path.join(dir, 'del'))).toEqual([]);
  });

  it('rejects keys and URIs that leave the store', async () => {
    for (const key of ['../escape', 'a/../../escape', '/abs', 'a//b', 'a/./b', 'dir/', '', 'a\\b', 'x.sha256']) {
      await expect(store.put(key, 'x'), key).rejects.toBeInstanceOf(ArtifactUriError);
      await expect(store.get(key), key).rejects.toBeInstanceOf(ArtifactUriError);
    }
    expect(() => store.uriFor('../x')).toThrow(ArtifactUriError);
    const outside = pathToFileURL(path.join(dir, '..', 'elsewhere.bin')).href;
    await expect(store.get(outside)).rejects.toBeInstanceOf(ArtifactUriError);
    await expect(store.get(`${store.baseUri}a/%2E%2E/%2E%2E/x`)).rejects.toBeInstanceOf(ArtifactUriError);
    await expect(store.get('s3://bucket/key')).rejects.toBeInstanceOf(ArtifactUriError);
  });

  it('resolves relative file:// URIs against the working directory', async () => {
    expect(fileUriToPath('file://./sub/dir/', dir)).toBe(path.join(dir, 'sub/dir'));
    expect(fileUriToPath('file://sub/dir', dir)).toBe(path.join(dir, 'sub/dir'));
    expect(fileUriToPath('file:///abs/x%20y', dir)).toBe('/abs/x y');
    const rel = openArtifactStore('file://./relative-store/', { cwd: dir });
    expect(rel).toBeInstanceOf(FileArtifactStore);
    expect(rel.baseUri).toBe(`${pathToFileURL(path.join(dir, 'relative-store')).href}/`);
    const ref = await rel.put('k.txt', 'relative');
    expect(await readFile(path.join(dir, 'relative-store/k.txt'), 'utf8')).toBe('relative');
    expect(Buffer.from(await readUri(ref.uri)).toString()).toBe('relative');
    expect(Buffer.from(await readUri('file://./relative-store/k.txt', { cwd: dir })).toString()).toBe('relative');
  });

  it('opens stores by scheme and reads plain files outside any store', async () => {
    expect(openArtifactStore(store.baseUri)).toBeInstanceOf(FileArtifactStore);
    expect(openArtifactStore('s3://bucket/prefix/')).toBeInstanceOf(S3ArtifactStore);
    expect(() => openArtifactStore('http://example.com/x')).toThrow(ArtifactUriError);
    const dataset = path.join(dir, 'dataset.csv');
    await writeFile(dataset, 'a,b\n1,2\n');
    const uri = pathToFileURL(dataset).href;
    expect(Buffer.from(await readUri(uri)).toString()).toBe('a,b\n1,2\n');
    expect(Buffer.from(await readUri(uri, { expectedSha256: sha('a,b\n1,2\n') })).toString()).toBe('a,b\n1,2\n');
    await expect(readUri(uri, { expectedSha256: sha('other') })).rejects.toBeInstanceOf(ArtifactChecksumError);
    await expect(readUri(pathToFileURL(path.join(dir, 'nope.csv')).href)).rejects.toBeInstanceOf(ArtifactNotFoundError);
    await expect(readUri('ftp://x/y')).rejects.toBeInstanceOf(ArtifactUriError);
  });

  it('never shows a reader a partially written object', async () => {
    const a = Buffer.alloc(4 * 1024 * 1024, 'a');
    const b = Buffer.alloc(4 * 1024 * 1024, 'b');
    const file = path.join(dir, 'atomic/blob.bin');
    await store.put('atomic/blob.bin', a);
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 15; i++) await store.put('atomic/blob.bin', i % 2 ? a : b);
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      const bytes = await readFile(file);
      expect(bytes.length).toBe(a.length);
      expect(bytes[0] === bytes[bytes.length - 1]).toBe(true);
      reads++;
    }
    await writer;
    expect(reads).toBeGreaterThan(0);
    // Through the store (checksum-verified) after the last write (i = 14: b).
    expect(sha(await store.get('atomic/blob.bin'))).toBe(sha(b));
  });
});
