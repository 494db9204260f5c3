-- CreateIndex
CREATE INDEX "Run_workspaceId_workflowId_versionNumber_id_idx" ON "Run"("workspaceId", "workflowId", "versionNumber", "id");

-- CreateIndex
CREATE INDEX "Run_workspaceId_createdAt_id_idx" ON "Run"("workspaceId", "createdAt", "id");
