/**
 * HTML to Markdown and to plain text, both through turndown (which parses the HTML with a real
 * DOM). Scripts, styles, navigation and embedded objects are dropped; tables become GitHub-style
 * Markdown tables; the `<title>` is reported apart from the body.
 */
import TurndownService from "turndown";
import { decodeText } from "./text";
import { tableCell, tableSeparator } from "./markdown";

/** Elements whose content is never part of the document's text. */
const DROPPED = new Set(["SCRIPT", "STYLE", "NAV", "NOSCRIPT", "TEMPLATE", "IFRAME", "OBJECT", "EMBED", "SVG", "CANVAS", "SELECT", "BUTTON"]);

/** Foreign (SVG) elements keep their lower-case names, so compare in upper case. */
function isDropped(node: HTMLElement): boolean {
  return DROPPED.has(node.nodeName.toUpperCase());
}

/** Elements that start and end a block in the plain-text rendering. */
const BLOCKS = new Set([
  "ADDRESS", "ARTICLE", "ASIDE", "BLOCKQUOTE", "BODY", "CAPTION", "DD", "DETAILS", "DIV", "DL", "DT", "FIELDSET",
  "FIGCAPTION", "FIGURE", "FOOTER", "FORM", "H1", "H2", "H3", "H4", "H5", "H6", "HEADER", "HR", "HTML", "MAIN",
  "OL", "P", "PRE", "SECTION", "SUMMARY", "TABLE", "UL",
]);

/** What the HTML reader returns. */
export interface HtmlDocument {
  markdown: string;
  text: string;
  title?: string;
}

/** Decodes HTML bytes (BOM, else a `<meta charset>` near the top, else strict UTF-8) and converts them. */
export function readHtml(bytes: Uint8Array, name: string): HtmlDocument {
  return convertHtml(decodeText(bytes, name, declaredCharset(bytes)));
}

/** The charset an HTML file declares in its first kilobyte, if any. */
export function declaredCharset(bytes: Uint8Array): string | undefined {
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 1024));
  return /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head)?.[1];
}

/** Converts an HTML string (a whole page or a fragment). */
export function convertHtml(html: string): HtmlDocument {
  let title: string | undefined;
  const markdown = markdownService((found) => {
    title ??= found;
  }).turndown(html);
  const text = plainTextService().turndown(html);
  return { markdown: markdown.trim(), text: tidyPlainText(text), ...(title ? { title } : {}) };
}

/** The first row of the table that holds this row is the Markdown header row. */
function isFirstRow(row: HTMLElement): boolean {
  const table = row.closest("table");
  return table ? table.querySelector("tr") === row : true;
}

function cellCount(row: HTMLElement): number {
  return Array.from(row.children).filter((c) => c.nodeName === "TD" || c.nodeName === "TH").length;
}

/** `<title>` in the page head; an SVG's own `title` has a lower-case name and is not matched. */
function isPageTitle(node: HTMLElement): boolean {
  return node.nodeName === "TITLE";
}

/** Images with no address worth keeping (none, or inline data) leave their alt text. */
function isInlineImage(node: HTMLElement): boolean {
  if (node.nodeName !== "IMG") return false;
  const src = node.getAttribute("src") ?? "";
  return src === "" || src.toLowerCase().startsWith("data:");
}

function markdownService(onTitle: (title: string) => void): TurndownService {
  const service = new TurndownService({ headingStyle: "atx", bulletListMarker: "-", codeBlockStyle: "fenced", emDelimiter: "_" });
  service.remove(isDropped);
  service.addRule("pageTitle", {
    filter: isPageTitle,
    replacement(_content, node) {
      const title = (node.textContent ?? "").replace(/\s+/g, " ").trim();
      if (title) onTitle(title);
      return "";
    },
  });
  service.addRule("inlineImage", {
    filter: isInlineImage,
    replacement: (_content, node) => service.escape(node.getAttribute("alt") ?? ""),
  });
  service.addRule("preformatted", {
    // <pre> without <code> inside (turndown's own rule covers <pre><code>).
    filter: (node) => node.nodeName === "PRE" && node.firstChild?.nodeName !== "CODE",
    replacement(_content, node) {
      const code = (node.textContent ?? "").replace(/\n$/, "");
      const fence = code.includes("```") ? "~~~~" : "```";
      return `\n\n${fence}\n${code}\n${fence}\n\n`;
    },
  });
  service.addRule("tableCell", {
    filter: ["th", "td"],
    replacement(content, node) {
      const first = node.previousElementSibling === null;
      return `${first ? "| " : " "}${tableCell(content)} |`;
    },
  });
  service.addRule("tableRow", {
    filter: "tr",
    replacement(content, node) {
      const header = isFirstRow(node) ? `\n${tableSeparator(cellCount(node))}` : "";
      return `\n${content}${header}`;
    },
  });
  service.addRule("tableSection", {
    filter: ["thead", "tbody", "tfoot"],
    replacement: (content) => content,
  });
  service.addRule("table", {
    filter: "table",
    replacement: (content) => `\n\n${content.replace(/^\n+/, "")}\n\n`,
  });
  return service;
}

/** Turndown with every element rendered as its bare text: blocks on their own lines, cells tab-separated. */
function plainTextService(): TurndownService {
  const service = new TurndownService();
  service.escape = (text: string) => text;
  service.remove((node) => isDropped(node) || isPageTitle(node));
  service.addRule("plain", {
    filter: (node) => !isDropped(node) && !isPageTitle(node),
    replacement(content, node) {
      switch (node.nodeName) {
        case "BR":
          return "\n";
        case "IMG":
          return node.getAttribute("alt") ?? "";
        case "LI":
          return `\n${content.trim()}\n`;
        case "TD":
        case "TH":
          return `${content.replace(/\s+/g, " ").trim()}\t`;
        case "TR":
          return `\n${content.replace(/\t$/, "")}\n`;
        case "PRE":
          return `\n\n${node.textContent ?? ""}\n\n`;
        default:
          return BLOCKS.has(node.nodeName) ? `\n\n${content}\n\n` : content;
      }
    },
  });
  return service;
}

/** Trims trailing spaces on lines and keeps at most one blank line between blocks. */
export function tidyPlainText(text: string): string {
  return text.replace(/[ \t]+$/gm, "").replace(/\n{3,}/g, "\n\n").trim();
}
