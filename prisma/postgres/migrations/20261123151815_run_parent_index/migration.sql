-- CreateIndex
CREATE INDEX "Run_workspaceId_parentRunId_id_idx" ON "Run"("workspaceId", "parentRunId", "id");
