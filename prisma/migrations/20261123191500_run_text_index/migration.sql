-- Text search index for the runs history (lib/services/run-text-index.ts).
--
-- "RunSearch": a contentless FTS5 table of trigrams. It keeps no copy of the text, only which
-- rows hold which trigrams (detail=none), and lists candidate runs newest first; the exact
-- match is then tested on those candidates (lib/services/run-search.ts). Each run has up to
-- three rows, rowid = run id * 4 + part: 0 = external id, error message and metadata;
-- 1 = inputs; 2 = outputs.
CREATE VIRTUAL TABLE "RunSearch" USING fts5("text", tokenize = 'trigram', content = '', contentless_delete = 1, detail = none);

-- Parts written since the last flush ("key" = run id * 4 + part; "indexed" = 1 when an older
-- version of the part is in RunSearch and must go first). Triggers only queue a key, which
-- costs a write a few microseconds; indexing one run per commit would cost each run's writes
-- about half a millisecond (FTS5 writes a segment per transaction). The queue is indexed in
-- one go once it holds 256 keys; searches treat the queued runs as candidates meanwhile.
CREATE TABLE "RunSearchPending" ("key" INTEGER NOT NULL PRIMARY KEY, "indexed" INTEGER NOT NULL);

CREATE TRIGGER "Run_search_insert" AFTER INSERT ON "Run"
WHEN new."externalId" IS NOT NULL OR new."errorMessage" IS NOT NULL OR new."metadata" <> '{}'
BEGIN
  INSERT INTO "RunSearchPending" ("key", "indexed") VALUES (new."id" * 4, 0) ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER "Run_search_update" AFTER UPDATE OF "externalId", "errorMessage", "metadata" ON "Run"
WHEN old."externalId" IS NOT new."externalId" OR old."errorMessage" IS NOT new."errorMessage" OR old."metadata" IS NOT new."metadata"
BEGIN
  INSERT INTO "RunSearchPending" ("key", "indexed")
    VALUES (new."id" * 4, old."externalId" IS NOT NULL OR old."errorMessage" IS NOT NULL OR old."metadata" <> '{}')
    ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER "Run_search_delete" AFTER DELETE ON "Run"
BEGIN
  INSERT INTO "RunSearchPending" ("key", "indexed") VALUES (old."id" * 4, 1), (old."id" * 4 + 1, 1), (old."id" * 4 + 2, 1)
    ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER "RunPayload_search_insert" AFTER INSERT ON "RunPayload"
BEGIN
  INSERT INTO "RunSearchPending" ("key", "indexed") VALUES (new."runId" * 4 + 1, 0) ON CONFLICT DO NOTHING;
  INSERT INTO "RunSearchPending" ("key", "indexed") SELECT new."runId" * 4 + 2, 0 WHERE new."outputs" IS NOT NULL ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER "RunPayload_search_inputs" AFTER UPDATE OF "inputs" ON "RunPayload"
WHEN old."inputs" IS NOT new."inputs"
BEGIN
  INSERT INTO "RunSearchPending" ("key", "indexed") VALUES (new."runId" * 4 + 1, 1) ON CONFLICT DO NOTHING;
END;

-- A run's outputs arrive when it ends: only that part is queued then.
CREATE TRIGGER "RunPayload_search_outputs" AFTER UPDATE OF "outputs" ON "RunPayload"
WHEN old."outputs" IS NOT new."outputs"
BEGIN
  INSERT INTO "RunSearchPending" ("key", "indexed") VALUES (new."runId" * 4 + 2, old."outputs" IS NOT NULL) ON CONFLICT DO NOTHING;
END;

-- The flush (lib/services/run-text-index.ts runs the same statements on demand): old
-- versions out, the parts' current text in, the queue emptied.
CREATE TRIGGER "RunSearchPending_flush" AFTER INSERT ON "RunSearchPending"
WHEN (SELECT count(*) FROM "RunSearchPending") >= 256
BEGIN
  DELETE FROM "RunSearch" WHERE rowid IN (SELECT "key" FROM "RunSearchPending" WHERE "indexed" = 1);
  INSERT INTO "RunSearch" (rowid, "text")
    SELECT p."key", concat_ws(char(10), r."externalId", r."errorMessage", r."metadata")
    FROM "RunSearchPending" p JOIN "Run" r ON r."id" = p."key" / 4
    WHERE p."key" % 4 = 0 AND (r."externalId" IS NOT NULL OR r."errorMessage" IS NOT NULL OR r."metadata" <> '{}');
  INSERT INTO "RunSearch" (rowid, "text")
    SELECT p."key", y."inputs" FROM "RunSearchPending" p JOIN "RunPayload" y ON y."runId" = p."key" / 4 WHERE p."key" % 4 = 1;
  INSERT INTO "RunSearch" (rowid, "text")
    SELECT p."key", y."outputs" FROM "RunSearchPending" p JOIN "RunPayload" y ON y."runId" = p."key" / 4
    WHERE p."key" % 4 = 2 AND y."outputs" IS NOT NULL;
  DELETE FROM "RunSearchPending";
END;

-- The runs already stored.
INSERT INTO "RunSearch" (rowid, "text")
  SELECT "id" * 4, concat_ws(char(10), "externalId", "errorMessage", "metadata") FROM "Run"
  WHERE "externalId" IS NOT NULL OR "errorMessage" IS NOT NULL OR "metadata" <> '{}';
INSERT INTO "RunSearch" (rowid, "text") SELECT "runId" * 4 + 1, "inputs" FROM "RunPayload";
INSERT INTO "RunSearch" (rowid, "text") SELECT "runId" * 4 + 2, "outputs" FROM "RunPayload" WHERE "outputs" IS NOT NULL;
