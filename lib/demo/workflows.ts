/** The demo workflows a fresh install starts with. All of them run with no outside service. */

const greetV1 = {
  inputs: [{ name: "name", type: "text", label: "Name", description: "Who to greet", default: "World" }],
  steps: [
    { id: "greet", kind: "template", name: "Compose greeting", config: { template: "Hello, {{ inputs.name }}!" } },
    {
      id: "shout", kind: "code", name: "Upper-case and count",
      config: { code: "const greeting = steps.greet.output.toUpperCase();\nconsole.log(`shouting ${greeting.length} characters`);\nreturn { greeting, length: greeting.length };" },
    },
    {
      id: "result", kind: "transform", name: "Shape the result",
      config: { expression: "{ 'greeting': steps.shout.output.greeting, 'length': steps.shout.output.length }" },
    },
  ],
  outputs: { greeting: "{{ steps.result.output.greeting }}", length: "{{ steps.result.output.length }}" },
};

/** v2 (staging): an optional punctuation choice. */
const greetV2 = {
  ...greetV1,
  inputs: [
    ...greetV1.inputs,
    { name: "punctuation", type: "select", label: "Punctuation", options: ["!", "?", "."], default: "!", required: false },
  ],
  steps: [
    { ...greetV1.steps[0], config: { template: "Hello, {{ inputs.name }}{{ inputs.punctuation }}" } },
    ...greetV1.steps.slice(1),
  ],
};

const documentStats = {
  inputs: [
    {
      name: "document", type: "file", label: "Document",
      description: "A plain-text or CSV file (up to 5 MB)",
      accept: [".txt", ".csv", ".md", "text/plain", "text/csv", "text/markdown"], max_size: 5 * 1024 * 1024,
    },
  ],
  steps: [
    { id: "read", kind: "extract", name: "Read the document", config: { file: "{{ inputs.document }}" } },
    {
      id: "stats", kind: "code", name: "Count",
      config: {
        code: [
          "const doc = steps.read.output;",
          "const words = doc.text.split(/\\s+/).filter(Boolean).length;",
          "const result = { format: doc.format, characters: doc.characters, lines: doc.lines, words };",
          "if (doc.format === 'csv') { result.rows = doc.rows.length; result.columns = doc.columns; }",
          "console.log(`counted ${words} words`);",
          "return result;",
        ].join("\n"),
      },
    },
    {
      id: "report", kind: "template", name: "Write the report",
      config: {
        template:
          "## {{ inputs.document.name }}\n\n| measure | value |\n|---|---|\n| format | {{ steps.stats.output.format }} |\n| lines | {{ steps.stats.output.lines }} |\n| words | {{ steps.stats.output.words }} |\n| characters | {{ steps.stats.output.characters }} |\n",
      },
    },
  ],
  outputs: { report: "{{ steps.report.output }}", stats: "{{ steps.stats.output }}" },
};

const formShowcase = {
  inputs: [
    { name: "title", type: "text", label: "Title", default: "Quarterly numbers" },
    { name: "notes", type: "text", label: "Notes", multiline: true, required: false },
    { name: "count", type: "number", label: "How many", min: 1, max: 100, default: 3 },
    { name: "loud", type: "boolean", label: "Shout it", default: false, required: false },
    { name: "tone", type: "select", label: "Tone", options: ["plain", "friendly", "formal"], default: "friendly" },
    { name: "settings", type: "json", label: "Settings (JSON)", default: { "currency": "EUR" }, required: false },
    { name: "attachments", type: "file_list", label: "Attachments", required: false, max_files: 5 },
  ],
  steps: [
    {
      id: "summary", kind: "transform", name: "Summarise the inputs",
      config: {
        expression:
          "{ 'title': inputs.loud ? $uppercase(inputs.title) : inputs.title, 'items': [1..inputs.count].($string($) & '. ' & $inputs.tone), 'settings': inputs.settings, 'attachments': $count(inputs.attachments) }",
      },
    },
  ],
  outputs: { summary: "{{ steps.summary.output }}" },
};

/** Slow on purpose, so the live timeline can be watched step by step. */
const releasePipeline = {
  inputs: [{ name: "release", type: "text", label: "Release name", default: "v1.0" }],
  steps: [
    { id: "prepare", kind: "delay", name: "Prepare", config: { ms: 1200, message: "Collecting changes" } },
    { id: "build", kind: "delay", name: "Build", needs: ["prepare"], config: { ms: 1500, message: "Building artifacts" } },
    { id: "test", kind: "delay", name: "Test", needs: ["prepare"], config: { ms: 1500, message: "Running checks" } },
    {
      id: "notes", kind: "template", name: "Write release notes", needs: ["build", "test"],
      config: { template: "# {{ inputs.release }}\n\nBuilt in {{ steps.build.output.waited_ms }} ms, tested in {{ steps.test.output.waited_ms }} ms." },
    },
  ],
  outputs: { notes: "{{ steps.notes.output }}" },
};

/**
 * Summarises a document with no outside service: extract → chunk → a branch on its length →
 * a map over the parts (or one pass over a short text) → a markdown report.
 */
const documentSummary = {
  inputs: [
    {
      name: "document", type: "file", label: "Document",
      description: "PDF, Word (.docx), HTML, Markdown, CSV or plain text, up to 10 MB",
      accept: [".pdf", ".docx", ".html", ".htm", ".md", ".txt", ".csv"], max_size: 10 * 1024 * 1024,
    },
  ],
  steps: [
    { id: "read", kind: "extract", name: "Extract the text", config: { file: "{{ inputs.document }}" } },
    {
      id: "split", kind: "chunk", name: "Split into parts",
      config: { text: "{{ steps.read.output }}", size: 1500, overlap: 150, boundary: "sentence" },
    },
    {
      id: "route", kind: "branch", name: "Long or short?",
      config: {
        cases: [{ name: "long document", when: "steps.split.output.count > 1", steps: ["per_part"] }],
        else: ["whole"],
      },
    },
    {
      id: "per_part", kind: "map", name: "Summarise each part",
      config: {
        items: "{{ steps.split.output.chunks }}",
        concurrency: 4,
        steps: [
          {
            id: "gist", kind: "code", name: "Lead sentence and key words",
            config: {
              code: [
                "const text = item.text.replace(/\\s+/g, ' ').trim();",
                "const lead = (text.match(/^.{20,400}?[.!?](\\s|$)/) || [text.slice(0, 200)])[0].trim();",
                "const counts = {};",
                "for (const w of text.toLowerCase().match(/[a-zà-ÿ]{5,}/g) || []) counts[w] = (counts[w] || 0) + 1;",
                "const keywords = Object.entries(counts).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([w]) => w);",
                "return { part: index + 1, lead, keywords };",
              ].join("\n"),
            },
          },
        ],
      },
    },
    {
      id: "whole", kind: "code", name: "Summarise the whole text",
      config: {
        code: [
          "const text = steps.read.output.text.replace(/\\s+/g, ' ').trim();",
          "const lead = (text.match(/^.{20,400}?[.!?](\\s|$)/) || [text.slice(0, 200)])[0].trim();",
          "return { results: [{ part: 1, lead, keywords: [] }], count: 1, failed: 0 };",
        ].join("\n"),
      },
    },
    {
      id: "report", kind: "code", name: "Write the report", join: "any",
      config: {
        code: [
          "const parts = (steps.per_part ? steps.per_part.output : steps.whole.output).results;",
          "const doc = steps.read.output;",
          "const lines = [`## ${doc.title || inputs.document.name}`, '',",
          "  `${doc.format.toUpperCase()}${doc.pages ? `, ${doc.pages} pages` : ''}, ${doc.characters} characters, ${parts.length} part(s).`, ''];",
          "for (const p of parts) lines.push(`${p.part}. ${p.lead}${p.keywords.length ? ` — _${p.keywords.join(', ')}_` : ''}`);",
          "return lines.join('\\n');",
        ].join("\n"),
      },
    },
  ],
  outputs: { summary: "{{ steps.report.output }}", parts: "{{ steps.split.output.count }}" },
};

/** Streams a model's answer; needs a provider (the run explains how to add one when there is none). */
const askLlm = {
  inputs: [
    {
      name: "question", type: "text", label: "Question", multiline: true,
      default: "In three sentences: what does a workflow engine do?",
    },
    { name: "style", type: "select", label: "Answer style", options: ["plain", "bullet points", "haiku"], default: "plain", required: false },
  ],
  steps: [
    {
      id: "answer", kind: "llm", name: "Ask the model", timeout_ms: 120_000, retries: 1,
      config: {
        system: "You are a concise, friendly assistant. Answer in {{ inputs.style }} style.",
        prompt: "{{ inputs.question }}",
      },
    },
  ],
  outputs: { answer: "{{ steps.answer.output.text }}", tokens: "{{ steps.answer.output.usage.total_tokens }}" },
};

export interface DemoWorkflow {
  name: string;
  title: string;
  description: string;
  versions: unknown[];
  labels: Record<string, number>;
}

export const demoWorkflows: DemoWorkflow[] = [
  {
    name: "greet", title: "Greet", description: "Says hello, loudly: a template, a code step and a transform.",
    versions: [greetV1, greetV2], labels: { production: 1, staging: 2 },
  },
  {
    name: "document-stats", title: "Document stats", description: "Reads a text or CSV file and reports lines, words and characters.",
    versions: [documentStats], labels: { production: 1 },
  },
  {
    name: "form-showcase", title: "Form showcase", description: "Every input type the run form supports, echoed back.",
    versions: [formShowcase], labels: { production: 1 },
  },
  {
    name: "release-pipeline", title: "Release pipeline", description: "Four steps over a few seconds (two in parallel): watch them live.",
    versions: [releasePipeline], labels: { production: 1 },
  },
  {
    name: "document-summary", title: "Document summary",
    description: "Extracts a PDF, Word, HTML or text document, splits it into parts, branches on its length and maps over the parts to write a summary.",
    versions: [documentSummary], labels: { production: 1 },
  },
  {
    name: "ask-llm", title: "Ask an LLM",
    description:
      "Streams an answer token by token from your own OpenAI-compatible provider. Set one up first: add a workspace " +
      "secret named `llm` whose value is {\"base_url\": \"https://api.openai.com/v1\", \"api_key\": \"sk-…\", \"model\": \"gpt-4o-mini\"}. " +
      "Without it the run stops with these same instructions.",
    versions: [askLlm], labels: { production: 1 },
  },
];
