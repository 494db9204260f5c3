/** Runs once when the Next.js server starts: the embedded executor resumes unfinished runs. */
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { startExecutor } = await import("./lib/executor");
    await startExecutor();
  }
}
