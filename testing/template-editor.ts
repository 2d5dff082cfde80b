/**
 * A template folder for the scaffolder's template editor (/create/edit, "Load Template
 * Directory"), which opens a folder of the user's machine with the File System Access API
 * (`window.showDirectoryPicker`, read once when the editor's module loads: WebFileSystemAccess in
 * @backstage/plugin-scaffolder 1.39.0). Headless Chromium cannot show that dialog and Playwright
 * cannot answer it, so the page's picker answers with a real directory handle instead: a folder
 * of the origin's private file system (OPFS) holding the template's files, which the editor then
 * lists, reads and dry-runs through the same API as a folder of the disk.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SignedIn } from './portal-browser';

/** The folder's files under `dir`, by relative path (`/`-separated). */
function filesOf(dir: string, prefix = ''): [string, string][] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? filesOf(path.join(dir, e.name), `${prefix}${e.name}/`)
        : [
            [`${prefix}${e.name}`, fs.readFileSync(path.join(dir, e.name), 'utf8')] as [
              string,
              string,
            ],
          ],
    );
}

/** The folder the picker answers with, in the origin's private file system. */
const FOLDER = 'template';

/**
 * Puts the files of `templateDir` into the page's private file system and makes the folder
 * picker of the pages the context loads next answer with it (load the editor anew after this).
 */
export async function fillTemplateFolder(s: SignedIn, templateDir: string): Promise<void> {
  // Run in the page: only the parts of the DOM's types they use (this project has no DOM lib).
  await s.context.addInitScript((folder: string) => {
    const page = globalThis as unknown as BrowserGlobals & Record<string, unknown>;
    const picker = async (): Promise<DirectoryHandle> =>
      (await page.navigator.storage.getDirectory()).getDirectoryHandle(folder);
    Object.defineProperty(page, 'showDirectoryPicker', { value: picker, configurable: true });
  }, FOLDER);
  await s.page.evaluate(
    async ({ folder, files }) => {
      const page = globalThis as unknown as BrowserGlobals;
      const storage = await page.navigator.storage.getDirectory();
      const root = await storage.getDirectoryHandle(folder, { create: true });
      for (const [file, content] of files) {
        const parts = file.split('/');
        let dir = root;
        for (const part of parts.slice(0, -1)) {
          dir = await dir.getDirectoryHandle(part, { create: true });
        }
        const handle = await dir.getFileHandle(parts[parts.length - 1], { create: true });
        const writable = await handle.createWritable();
        await writable.write(content);
        await writable.close();
      }
    },
    { folder: FOLDER, files: filesOf(templateDir) },
  );
}

/** The File System Access API as far as this file uses it. */
interface DirectoryHandle {
  getDirectoryHandle(name: string, options?: { create: boolean }): Promise<DirectoryHandle>;
  getFileHandle(
    name: string,
    options: { create: boolean },
  ): Promise<{
    createWritable(): Promise<{ write(data: string): Promise<void>; close(): Promise<void> }>;
  }>;
}
interface BrowserGlobals {
  navigator: { storage: { getDirectory(): Promise<DirectoryHandle> } };
}
