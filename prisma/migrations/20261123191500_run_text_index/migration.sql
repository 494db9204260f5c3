-- Text search index for the runs history (lib/services/run-text-index.ts).
--
-- A contentless FTS5 table of trigrams: it keeps no copy of the text, only which rows hold
-- which trigrams (detail=none), and lists candidate runs newest first; the exact match is
-- then tested on those candidates (lib/services/run-search.ts). Each run has up to three
-- rows, rowid = run id * 4 + part: 0 = external id, error message and metadata; 1 = inputs;
-- 2 = outputs. Triggers keep it current on every write path.
CREATE VIRTUAL TABLE "RunSearch" USING fts5("text", tokenize = 'trigram', content = '', contentless_delete = 1, detail = none);

CREATE TRIGGER "Run_search_insert" AFTER INSERT ON "Run"
WHEN new."externalId" IS NOT NULL OR new."errorMessage" IS NOT NULL OR new."metadata" <> '{}'
BEGIN
  INSERT INTO "RunSearch" (rowid, "text") VALUES (new."id" * 4, concat_ws(char(10), new."externalId", new."errorMessage", new."metadata"));
END;

CREATE TRIGGER "Run_search_update" AFTER UPDATE OF "externalId", "errorMessage", "metadata" ON "Run"
WHEN old."externalId" IS NOT new."externalId" OR old."errorMessage" IS NOT new."errorMessage" OR old."metadata" IS NOT new."metadata"
BEGIN
  DELETE FROM "RunSearch" WHERE rowid = old."id" * 4;
  INSERT INTO "RunSearch" (rowid, "text")
    SELECT new."id" * 4, concat_ws(char(10), new."externalId", new."errorMessage", new."metadata")
    WHERE new."externalId" IS NOT NULL OR new."errorMessage" IS NOT NULL OR new."metadata" <> '{}';
END;

CREATE TRIGGER "Run_search_delete" AFTER DELETE ON "Run"
BEGIN
  DELETE FROM "RunSearch" WHERE rowid IN (old."id" * 4, old."id" * 4 + 1, old."id" * 4 + 2);
END;

CREATE TRIGGER "RunPayload_search_insert" AFTER INSERT ON "RunPayload"
BEGIN
  INSERT INTO "RunSearch" (rowid, "text") VALUES (new."runId" * 4 + 1, new."inputs");
  INSERT INTO "RunSearch" (rowid, "text") SELECT new."runId" * 4 + 2, new."outputs" WHERE new."outputs" IS NOT NULL;
END;

CREATE TRIGGER "RunPayload_search_inputs" AFTER UPDATE OF "inputs" ON "RunPayload"
WHEN old."inputs" IS NOT new."inputs"
BEGIN
  DELETE FROM "RunSearch" WHERE rowid = old."runId" * 4 + 1;
  INSERT INTO "RunSearch" (rowid, "text") VALUES (new."runId" * 4 + 1, new."inputs");
END;

-- A run's outputs arrive when it ends: only that part is indexed then.
CREATE TRIGGER "RunPayload_search_outputs" AFTER UPDATE OF "outputs" ON "RunPayload"
WHEN old."outputs" IS NOT new."outputs"
BEGIN
  DELETE FROM "RunSearch" WHERE rowid = old."runId" * 4 + 2 AND old."outputs" IS NOT NULL;
  INSERT INTO "RunSearch" (rowid, "text") SELECT new."runId" * 4 + 2, new."outputs" WHERE new."outputs" IS NOT NULL;
END;

-- The runs already stored.
INSERT INTO "RunSearch" (rowid, "text")
  SELECT "id" * 4, concat_ws(char(10), "externalId", "errorMessage", "metadata") FROM "Run"
  WHERE "externalId" IS NOT NULL OR "errorMessage" IS NOT NULL OR "metadata" <> '{}';
INSERT INTO "RunSearch" (rowid, "text") SELECT "runId" * 4 + 1, "inputs" FROM "RunPayload";
INSERT INTO "RunSearch" (rowid, "text") SELECT "runId" * 4 + 2, "outputs" FROM "RunPayload" WHERE "outputs" IS NOT NULL;
