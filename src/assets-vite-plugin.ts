// A Vite plugin that serves the shared asset folder (models, labels, images) under /assets/ at
// run time, plus /assets/index.json listing what is there, so that the demo never needs a copy of
// the assets inside the repository. Dev and preview servers only: a static build has no /assets/,
// and the demo then falls back to downloading models from their public source.
import { createReadStream, readdirSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, resolve, sep } from 'node:path';
import type { Plugin } from 'vite';
import { findAssetsDir } from './assets-node.ts';

export interface AssetEntry {
  /** Path inside the assets folder, with forward slashes: 'models/coral/x.tflite'. */
  path: string;
  size: number;
}

export interface AssetIndex {
  models: AssetEntry[];
  images: AssetEntry[];
  labels: AssetEntry[];
}

/** The folders the index covers; eval/ and reference/ hold thousands of files the demo does not use. */
const INDEXED = ['models', 'images', 'labels'] as const;

const CONTENT_TYPES: Record<string, string> = {
  '.tflite': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.rgb': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
  '.tsv': 'text/tab-separated-values; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.json': 'application/json',
  '.md': 'text/markdown; charset=utf-8',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.bmp': 'image/bmp',
};

function listFiles(root: string, folder: string): AssetEntry[] {
  const out: AssetEntry[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return; // a folder missing from a partial asset set simply lists nothing
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const full = join(dir, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else if (st.isFile()) out.push({ path: relative(root, full).split(sep).join('/'), size: st.size });
    }
  };
  walk(join(root, folder));
  return out;
}

export function buildAssetIndex(root: string): AssetIndex {
  const [models, images, labels] = INDEXED.map((folder) => listFiles(root, folder));
  return { models: models!, images: images!, labels: labels! };
}

export interface OctetAssetsOptions {
  /** URL prefix, default '/assets/'. */
  base?: string;
  /** Asset folder; default findAssetsDir() (OCTET_ASSETS, then ../shared/assets). */
  dir?: string;
}

export function octetAssets(options: OctetAssetsOptions = {}): Plugin {
  const base = options.base ?? '/assets/';
  // Resolved lazily so that a missing folder is an HTTP 404 with a reason, not a server that
  // refuses to start: the page has a fallback for exactly that case.
  let root: string | undefined;
  let rootError: string | undefined;
  const assetsRoot = (): string | undefined => {
    if (root === undefined && rootError === undefined) {
      try {
        root = options.dir ? resolve(options.dir) : findAssetsDir();
      } catch (e) {
        rootError = (e as Error).message;
      }
    }
    return root;
  };

  const handle = (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const url = req.url ?? '';
    if (!url.startsWith(base)) return next();
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const dir = assetsRoot();
    if (!dir) {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end(rootError ?? 'shared assets not found');
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(url.slice(base.length).split(/[?#]/)[0]!);
    } catch {
      res.statusCode = 400;
      res.end('bad path');
      return;
    }
    if (rel === 'index.json') {
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Cache-Control', 'no-cache');
      res.end(JSON.stringify(buildAssetIndex(dir)));
      return;
    }
    const full = resolve(dir, rel);
    // Refuse anything that resolves outside the asset folder ('..', absolute paths).
    if (full !== dir && !full.startsWith(dir + sep)) {
      res.statusCode = 403;
      res.end('outside the assets folder');
      return;
    }
    let size: number;
    try {
      const st = statSync(full);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end(`no asset ${rel}`);
      return;
    }
    res.setHeader('Content-Type', CONTENT_TYPES[extname(full).toLowerCase()] ?? 'application/octet-stream');
    res.setHeader('Content-Length', String(size));
    res.setHeader('Cache-Control', 'no-cache');
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(full).pipe(res);
  };

  return {
    name: 'octet-assets',
    configureServer(server) {
      server.middlewares.use(handle);
    },
    configurePreviewServer(server) {
      server.middlewares.use(handle);
    },
  };
}
