"use server";
/** Sign-in and sign-out actions for the login form and the header. */
import { AuthError } from "next-auth";
import { SignInRateLimited, signIn, signOut } from "../auth/auth";
import { safeCallbackPath } from "../auth/callback-url";

/** What a refused sign-in shows: the message, and the email as typed (the form keeps it). */
export interface SignInState {
  error: string;
  email: string;
}

export async function signInAction(_prev: SignInState | null, formData: unknown): Promise<SignInState | null> {
  // Called over HTTP with anything at all: only a form's fields count.
  const field = (name: string) => (formData instanceof FormData ? formData.get(name) : null);
  const email = field("email");
  const password = field("password");
  // Back to the page that asked for sign-in (an invitation link, say), if it is one of ours.
  const redirectTo = safeCallbackPath(field("callbackUrl")) ?? "/";
  const typed = typeof email === "string" ? email.slice(0, 320) : "";
  if (typeof email !== "string" || typeof password !== "string" || !email || !password) {
    return { error: "Enter your email and password.", email: typed };
  }
  try {
    await signIn("credentials", { email, password, redirectTo });
    return null;
  } catch (err) {
    if (err instanceof SignInRateLimited) return { error: err.userMessage, email: typed };
    if (err instanceof AuthError) return { error: "That email and password do not match an account.", email: typed };
    throw err; // the redirect after a successful sign-in
  }
}

export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: "/login" });
}
