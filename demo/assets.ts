// Reads the demo's models, labels and sample images: from the dev server's /assets/ (the shared
// asset folder, served by src/assets-vite-plugin.ts) when it is there, else from each file's
// public source with a sha256 check (see sources.ts).
import { REMOTE_LABEL_SUBSTITUTES, REMOTE_SOURCES } from './sources.ts';

export interface AssetEntry {
  path: string;
  size: number;
}

export interface AssetIndex {
  models: AssetEntry[];
  images: AssetEntry[];
  labels: AssetEntry[];
}

export type Progress = (loaded: number, total: number | undefined) => void;

export class AssetError extends Error {
  override name = 'AssetError';
}

export class AssetStore {
  private constructor(
    readonly mode: 'local' | 'remote',
    readonly index: AssetIndex,
  ) {}

  /** Local when /assets/index.json answers with JSON; a static host answers 404 or its index.html. */
  static async open(): Promise<AssetStore> {
    try {
      const res = await fetch('/assets/index.json', { cache: 'no-cache' });
      if (res.ok && (res.headers.get('content-type') ?? '').includes('json')) {
        return new AssetStore('local', (await res.json()) as AssetIndex);
      }
    } catch {
      // network error: same as absent
    }
    const entries = [...REMOTE_SOURCES.values()].map(({ path, size }) => ({ path, size }));
    return new AssetStore('remote', {
      models: entries.filter((e) => e.path.startsWith('models/')),
      images: entries.filter((e) => e.path.startsWith('images/')),
      labels: [
        ...entries.filter((e) => e.path.startsWith('labels/')),
        ...Object.keys(REMOTE_LABEL_SUBSTITUTES).map((name) => ({ path: `labels/${name}`, size: 0 })),
      ],
    });
  }

  has(path: string): boolean {
    const list = path.startsWith('models/') ? this.index.models : path.startsWith('images/') ? this.index.images : this.index.labels;
    return list.some((e) => e.path === path);
  }

  /** URL for an <img> thumbnail. */
  url(path: string): string {
    if (this.mode === 'local') return `/assets/${path}`;
    return REMOTE_SOURCES.get(path)?.url ?? '';
  }

  async bytes(path: string, onProgress?: Progress): Promise<Uint8Array> {
    if (this.mode === 'local') return download(`/assets/${path}`, path, undefined, onProgress);
    const source = REMOTE_SOURCES.get(path);
    if (!source) throw new AssetError(`${path} is not in the local assets and has no public source to download from`);
    const bytes = await download(source.url, path, source.size, onProgress);
    const digest = await sha256Hex(bytes);
    if (digest !== source.sha256) {
      throw new AssetError(`${path} downloaded from ${source.url} has sha256 ${digest}, expected ${source.sha256}: refusing to use it`);
    }
    return bytes;
  }

  async labels(fileName: string): Promise<string> {
    const path = `labels/${fileName}`;
    if (this.mode === 'local' || REMOTE_SOURCES.has(path)) return new TextDecoder().decode(await this.bytes(path));
    const substitute = REMOTE_LABEL_SUBSTITUTES[fileName];
    if (!substitute) throw new AssetError(`no label list ${fileName}`);
    if ('inline' in substitute) return substitute.inline.join('\n');
    const lines = new TextDecoder().decode(await this.bytes(substitute.from)).split(/\r?\n/);
    return (substitute.dropFirst ? lines.slice(1) : lines).join('\n');
  }
}

async function download(url: string, name: string, expectedSize: number | undefined, onProgress?: Progress): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new AssetError(`could not fetch ${name} from ${url}: ${(e as Error).message} (offline?)`);
  }
  if (!res.ok) throw new AssetError(`could not fetch ${name}: HTTP ${res.status} from ${url}`);
  const header = Number(res.headers.get('content-length'));
  const total = header > 0 ? header : expectedSize;
  if (!res.body || !onProgress) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress(loaded, total);
  }
  const out = new Uint8Array(loaded);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
