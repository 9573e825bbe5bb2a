import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The inspector page's three files, as text. */
export interface InspectorAssets {
  html: string;
  js: string;
  css: string;
}

/**
 * The page's folder: dist/inspector/page in the package (the build bundles main.ts into inspector.js beside the
 * HTML and CSS there), src/inspector/page when running from source.
 */
export function pageDir(): string {
  return path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'page');
}

/**
 * Loads the page. From source (tests, `npm start`) there is no inspector.js yet: it is bundled on the spot with
 * esbuild, a devDependency, which is there exactly when the source is.
 */
export async function loadAssets(dir = pageDir()): Promise<InspectorAssets> {
  const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
  const bundled = path.join(dir, 'inspector.js');
  let js: string;
  if (fs.existsSync(bundled)) {
    js = read('inspector.js');
  } else {
    const esbuild = await import('esbuild');
    const out = await esbuild.build({ entryPoints: [path.join(dir, 'main.ts')], bundle: true, write: false, format: 'iife', platform: 'browser', target: 'es2022', logLevel: 'silent' });
    js = out.outputFiles[0].text;
  }
  return { html: read('index.html'), js, css: read('inspector.css') };
}
