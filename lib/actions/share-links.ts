"use server";
/**
 * Server actions for share links: the run page's share panel (list a run's links, create
 * one, revoke one) and the workspace's Share links settings page (revoke). Thin over
 * lib/services/share-links, which checks roles and tenancy.
 */
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { requireActor } from "../auth/session";
import { expiryFromChoice, shareExpiryChoiceSchema, type ShareLinkView } from "../schemas/share-links";
import { can } from "../services/permissions";
import { createShareLink, getShareLink, listShareLinks, revokeShareLink } from "../services/share-links";
import { parseActionInput, toActionResult, type ActionResult } from "./action-result";

const workspaceField = z.string().min(1).max(100);

function settingsPath(workspace: string): string {
  return `/w/${workspace}/settings/share-links`;
}

const runLinksSchema = z.object({ workspace: workspaceField, runId: z.uuid() });

export interface RunShareLinks {
  links: ShareLinkView[];
  /** Whether the actor may create and revoke links (members and up). */
  canShare: boolean;
  /** The server's clock (ms), so relative times agree with the states it computed. */
  now: number;
}

/** The links of one run, newest first. */
export async function listRunShareLinksAction(raw: unknown): Promise<ActionResult<RunShareLinks>> {
  return toActionResult(async () => {
    const input = parseActionInput(runLinksSchema, raw);
    const actor = await requireActor(input.workspace);
    const { links } = await listShareLinks(actor, { run: input.runId, limit: 200 });
    return { links, canShare: can(actor.role, "run"), now: Date.now() };
  });
}

const createSchema = z
  .object({
    workspace: workspaceField,
    runId: z.uuid(),
    includeInputs: z.boolean().default(false),
    expires: shareExpiryChoiceSchema.default("never"),
    /** For "custom": the instant, as an ISO time with its offset (the browser converts its local time). */
    expiresAt: z.iso.datetime({ offset: true, message: "Pick a valid date and time" }).nullish(),
  })
  .superRefine((form, ctx) => {
    if (form.expires === "custom" && !form.expiresAt) {
      ctx.addIssue({ code: "custom", path: ["expiresAt"], message: "Pick the date and time the link stops working" });
    }
  });

export interface CreatedShareLink {
  /** The page's path with the token: shown this one time only. */
  path: string;
  link: ShareLinkView;
}

/** Creates a link to a run; its token is answered this one time only. */
export async function createRunShareLinkAction(raw: unknown): Promise<ActionResult<CreatedShareLink>> {
  return toActionResult(async () => {
    const input = parseActionInput(createSchema, raw);
    const actor = await requireActor(input.workspace);
    const expiresAt = expiryFromChoice(input.expires, input.expiresAt ? new Date(input.expiresAt) : null);
    const created = await createShareLink(actor, input.runId, { includeInputs: input.includeInputs, expiresAt });
    revalidatePath(settingsPath(input.workspace));
    return { path: created.path, link: await getShareLink(actor, created.id) };
  });
}

const revokeSchema = z.object({ workspace: workspaceField, id: z.number().int().positive() });

/** Revokes a link: its page and live stream answer "This link does not work" from now on. */
export async function revokeShareLinkAction(raw: unknown): Promise<ActionResult<ShareLinkView>> {
  return toActionResult(async () => {
    const input = parseActionInput(revokeSchema, raw);
    const actor = await requireActor(input.workspace);
    const link = await revokeShareLink(actor, input.id);
    revalidatePath(settingsPath(input.workspace));
    return link;
  });
}
