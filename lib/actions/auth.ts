"use server";
/** Sign-in and sign-out actions for the login form and the header. */
import { AuthError } from "next-auth";
import { SignInRateLimited, signIn, signOut } from "../auth/auth";
import { safeCallbackPath } from "../auth/callback-url";

export async function signInAction(_prev: string | null, formData: FormData): Promise<string | null> {
  const email = formData.get("email");
  const password = formData.get("password");
  // Back to the page that asked for sign-in (an invitation link, say), if it is one of ours.
  const redirectTo = safeCallbackPath(formData.get("callbackUrl")) ?? "/";
  if (typeof email !== "string" || typeof password !== "string" || !email || !password) {
    return "Enter your email and password.";
  }
  try {
    await signIn("credentials", { email, password, redirectTo });
    return null;
  } catch (err) {
    if (err instanceof SignInRateLimited) return err.userMessage;
    if (err instanceof AuthError) return "That email and password do not match an account.";
    throw err; // the redirect after a successful sign-in
  }
}

export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: "/login" });
}
