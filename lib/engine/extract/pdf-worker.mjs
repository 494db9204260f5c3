/**
 * PDF reader thread (see pdf.ts). Plain ESM JavaScript: the host starts it from this file on
 * disk, outside any bundle. It reads one document at a time and stays for the next one; the
 * host ends it by message, or terminates it to stop a read early.
 *
 * in : { type: "read", id, bytes: Uint8Array }  |  { type: "exit" }
 * out: { id, type: "page", done, total }
 *      { id, type: "done", pages: string[], title? }
 *      { id, type: "error", kind: "password" | "invalid" | "open" | "page", page?, message }
 */
import { parentPort } from "node:worker_threads";

// pdf.js inflates with the platform's DecompressionStream when there is one. Node's zlib
// handles behind it abort the whole process if the thread is terminated while one is being
// set up (node_zlib.cc "close before init"), and the host does terminate this thread (a
// memory bomb, a cancelled step); without it pdf.js inflates in JavaScript, which is safe to stop.
delete globalThis.DecompressionStream;
const { getResolvedPDFJS } = await import("unpdf");
const { getDocument } = await getResolvedPDFJS();

const messageOf = (error) => (error instanceof Error ? error.message : String(error));

/** One space for runs of spaces, no spaces at line ends, at most one blank line. */
function tidyPageText(text) {
  return text
    .replace(/[^\S\n]+/g, " ")
    .replace(/ ?\n ?/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

async function title(pdf) {
  try {
    const { info, metadata } = await pdf.getMetadata();
    const fromInfo = info?.Title;
    const t = typeof fromInfo === "string" && fromInfo.trim() ? fromInfo : metadata?.get("dc:title");
    return typeof t === "string" && t.trim() ? t.replace(/\s+/g, " ").trim() : undefined;
  } catch {
    return undefined; // broken metadata does not stop the text
  }
}

async function read(id, bytes) {
  const post = (msg) => parentPort.postMessage({ id, ...msg });
  let pdf;
  try {
    pdf = await getDocument({ data: bytes, isEvalSupported: false, disableFontFace: true, useSystemFonts: false, verbosity: 0 }).promise;
  } catch (error) {
    const kind = error?.name === "PasswordException" ? "password" : error?.name === "InvalidPDFException" ? "invalid" : "open";
    post({ type: "error", kind, message: messageOf(error) });
    return;
  }
  try {
    const pages = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      try {
        const page = await pdf.getPage(n);
        const content = await page.getTextContent();
        page.cleanup();
        let text = "";
        for (const item of content.items) if ("str" in item) text += item.str + (item.hasEOL ? "\n" : "");
        pages.push(tidyPageText(text));
      } catch (error) {
        post({ type: "error", kind: "page", page: n, message: messageOf(error) });
        return;
      }
      post({ type: "page", done: n, total: pdf.numPages });
    }
    const t = await title(pdf);
    post({ type: "done", pages, ...(t ? { title: t } : {}) });
  } finally {
    await pdf.destroy().catch(() => {});
  }
}

parentPort.on("message", (msg) => {
  if (msg?.type === "exit") process.exit(0);
  if (msg?.type === "read") {
    read(msg.id, msg.bytes).catch((error) => parentPort.postMessage({ id: msg.id, type: "error", kind: "open", message: messageOf(error) }));
  }
});
