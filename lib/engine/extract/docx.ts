/**
 * DOCX through mammoth: the document becomes semantic HTML (headings, lists, tables, emphasis),
 * which the HTML reader turns into Markdown and plain text. The title comes from the document's
 * core properties (docProps/core.xml).
 */
import JSZip from "jszip";
import mammoth from "mammoth";
import { extractError, messageOf } from "./errors";
import { convertHtml } from "./html";

/** What the DOCX reader returns. */
export interface DocxDocument {
  markdown: string;
  text: string;
  title?: string;
  /** Things mammoth could not map (unknown styles, unsupported elements). */
  warnings: string[];
}

const STYLE_MAP = [
  // Word's own "Title" and "Subtitle" styles read as the top headings.
  "p[style-name='Title'] => h1:fresh",
  "p[style-name='Subtitle'] => h2:fresh",
];

/**
 * Most bytes a DOCX's XML parts may unpack to: as much as the largest upload. A DOCX is a ZIP,
 * and a few hundred kilobytes of compressed XML can unpack to gigabytes (a "zip bomb") that
 * the reader would hold in memory and parse for minutes in the server process.
 */
export const MAX_DOCX_UNPACKED_BYTES = 50 * 1024 * 1024;

/**
 * Refuses a DOCX whose XML parts unpack to more than MAX_DOCX_UNPACKED_BYTES. The bytes are
 * counted while they are inflated (in chunks, without keeping them), so sizes the archive
 * merely declares cannot fool it. Images are not counted: they are never read.
 */
async function checkUnpackedSize(buffer: Buffer, name: string): Promise<void> {
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(buffer);
  } catch {
    return; // not a ZIP at all: mammoth says so in its own words
  }
  let total = 0;
  for (const entry of Object.values(zip.files)) {
    if (entry.dir || !/\.(xml|rels)$/i.test(entry.name)) continue;
    await new Promise<void>((resolve, reject) => {
      // internalStream is JSZip's documented streaming read (missing from its type definitions).
      const stream = (entry as unknown as { internalStream(type: "uint8array"): JSZip.JSZipStreamHelper<Uint8Array> }).internalStream("uint8array");
      stream
        .on("data", (chunk) => {
          total += chunk.length;
          if (total > MAX_DOCX_UNPACKED_BYTES) {
            stream.pause();
            reject(extractError(`'${name}' unpacks to more than ${MAX_DOCX_UNPACKED_BYTES / 1048576} MB of document data, which is more than a Word document may hold here`));
          }
        })
        .on("error", (error) => reject(extractError(`'${name}' is not a readable Word document (.docx): ${messageOf(error)}`)))
        .on("end", () => resolve())
        .resume();
    });
  }
}

/** Images are left out (their alt text stays): inline data would swamp the text. */
const noImages = mammoth.images.imgElement(async () => ({ src: "" }));

export async function readDocx(bytes: Uint8Array, name: string): Promise<DocxDocument> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  await checkUnpackedSize(buffer, name);
  let converted: { value: string; messages: { type: string; message: string }[] };
  try {
    converted = await mammoth.convertToHtml(
      { buffer },
      { styleMap: STYLE_MAP, convertImage: noImages, externalFileAccess: false, ignoreEmptyParagraphs: true },
    );
  } catch (error) {
    throw extractError(`'${name}' is not a readable Word document (.docx): ${messageOf(error)}`);
  }
  const { markdown, text } = convertHtml(converted.value);
  const title = await coreTitle(buffer);
  return {
    markdown,
    text,
    ...(title ? { title } : {}),
    warnings: converted.messages.map((m) => m.message),
  };
}

/** The title in the document's core properties; undefined when it has none or they cannot be read. */
async function coreTitle(buffer: Buffer): Promise<string | undefined> {
  try {
    const zip = await JSZip.loadAsync(buffer);
    const xml = await zip.file("docProps/core.xml")?.async("string");
    const raw = xml && /<dc:title(?:\s[^>]*)?>([\s\S]*?)<\/dc:title>/.exec(xml)?.[1];
    const title = raw ? decodeXmlText(raw).replace(/\s+/g, " ").trim() : "";
    return title || undefined;
  } catch {
    return undefined; // the title is optional; the body has already been read
  }
}

const XML_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Character data of a simple XML element (entities and character references decoded). */
function decodeXmlText(raw: string): string {
  return raw.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (whole, ref: string) => {
    if (ref[0] !== "#") return XML_ENTITIES[ref.toLowerCase()] ?? whole;
    const code = ref[1] === "x" || ref[1] === "X" ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}
