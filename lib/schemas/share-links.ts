/**
 * Share links as the console sees them, and the expiry choices a link can be created with.
 * Plain data only (dates as ISO strings), so client components can import it.
 */
import { z } from "zod";

/** A link works while `active`; `expired` and `revoked` links answer "This link does not work". */
export type ShareLinkState = "active" | "expired" | "revoked";

/** The longest a share link may live: a year. */
export const MAX_SHARE_LINK_DAYS = 365;

/** The preset lifetimes the share panel offers, plus "custom" (an exact date) and "never". */
export const shareExpiryChoiceSchema = z.enum(["never", "1h", "1d", "7d", "30d", "custom"]);
export type ShareExpiryChoice = z.infer<typeof shareExpiryChoiceSchema>;

export const SHARE_EXPIRY_LABELS: Record<ShareExpiryChoice, string> = {
  never: "Never",
  "1h": "In 1 hour",
  "1d": "In 1 day",
  "7d": "In 7 days",
  "30d": "In 30 days",
  custom: "On a date…",
};

const PRESET_MS: Record<Exclude<ShareExpiryChoice, "never" | "custom">, number> = {
  "1h": 3_600_000,
  "1d": 86_400_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
};

/**
 * The expiry time for a choice: null for "never", `now + preset` for a preset, and the given
 * instant for "custom" (validated by the service: in the future, within a year).
 */
export function expiryFromChoice(choice: ShareExpiryChoice, customAt: Date | null, now = Date.now()): Date | null {
  if (choice === "never") return null;
  if (choice === "custom") return customAt;
  return new Date(now + PRESET_MS[choice]);
}

/** One share link in a list (the token itself is never stored, so never listed). */
export interface ShareLinkView {
  id: number;
  /** The token's last 4 characters, to tell links apart. */
  last4: string;
  includeInputs: boolean;
  state: ShareLinkState;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  createdBy: { name: string | null; email: string } | null;
  run: { uuid: string; status: string; workflowName: string; workflowTitle: string; versionNumber: number };
}
