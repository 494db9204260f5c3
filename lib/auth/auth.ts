/**
 * Auth.js configuration: email + password sign-in with JWT sessions (the Credentials
 * provider requires the JWT strategy).
 */
import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { SignInThrottledError } from "../services/sign-in-throttle";
import { authenticateWithPassword } from "../services/users";
import { decodeSessionToken, encodeSessionToken } from "./session-token";

/** Too many failed sign-ins for the account: the form says so, and when to try again. */
export class SignInRateLimited extends CredentialsSignin {
  code = "rate_limited";
  constructor(readonly userMessage: string) {
    super(userMessage);
  }
}

const credentialsSchema = z.object({
  email: z.string().trim().email(),
  password: z.string().min(1).max(1000),
});

export const { handlers, auth, signIn, signOut } = NextAuth({
  trustHost: true,
  session: { strategy: "jwt", maxAge: 30 * 24 * 3600 },
  jwt: { decode: decodeSessionToken, encode: encodeSessionToken },
  pages: { signIn: "/login" },
  providers: [
    Credentials({
      credentials: { email: { label: "Email" }, password: { label: "Password", type: "password" } },
      async authorize(raw) {
        const parsed = credentialsSchema.safeParse(raw);
        if (!parsed.success) throw new CredentialsSignin();
        let user: Awaited<ReturnType<typeof authenticateWithPassword>>;
        try {
          user = await authenticateWithPassword(parsed.data.email, parsed.data.password);
        } catch (error) {
          if (error instanceof SignInThrottledError) throw new SignInRateLimited(error.message);
          throw error;
        }
        if (!user) throw new CredentialsSignin();
        return user;
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user?.id) token.sub = user.id;
      return token;
    },
    session({ session, token }) {
      if (token.sub) session.user.id = token.sub;
      return session;
    },
  },
});
