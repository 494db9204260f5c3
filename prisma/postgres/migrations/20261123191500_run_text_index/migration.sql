-- Text search index for the runs history (lib/services/run-text-index.ts).
--
-- flowdeck_search.run_text holds each run's searchable text in up to three parts (0 =
-- external id, error message and metadata; 1 = inputs; 2 = outputs) with a pg_trgm GIN
-- index, so `body ILIKE '%text%'` finds the runs that hold a text without reading every run;
-- the exact match is then tested on those candidates (lib/services/run-search.ts). It lives
-- in its own schema so Prisma's schema diff (public) never sees it. Triggers keep it current
-- on every write path. pg_trgm is a trusted extension: the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE SCHEMA IF NOT EXISTS flowdeck_search;

CREATE TABLE flowdeck_search.run_text (
    run_id integer NOT NULL REFERENCES "Run" ("id") ON DELETE CASCADE,
    part smallint NOT NULL,
    workspace_id integer NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (run_id, part)
);

CREATE FUNCTION flowdeck_search.index_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."externalId" IS NULL AND NEW."errorMessage" IS NULL AND NEW."metadata" = '{}' THEN
    IF TG_OP = 'UPDATE' THEN
      DELETE FROM flowdeck_search.run_text WHERE run_id = NEW."id" AND part = 0;
    END IF;
  ELSE
    INSERT INTO flowdeck_search.run_text (run_id, part, workspace_id, body)
    VALUES (NEW."id", 0, NEW."workspaceId", concat_ws(E'\n', NEW."externalId", NEW."errorMessage", NEW."metadata"))
    ON CONFLICT (run_id, part) DO UPDATE SET body = EXCLUDED.body;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER run_text_insert AFTER INSERT ON "Run" FOR EACH ROW
  WHEN (NEW."externalId" IS NOT NULL OR NEW."errorMessage" IS NOT NULL OR NEW."metadata" <> '{}')
  EXECUTE FUNCTION flowdeck_search.index_run();
CREATE TRIGGER run_text_update AFTER UPDATE OF "externalId", "errorMessage", "metadata" ON "Run" FOR EACH ROW
  WHEN (OLD."externalId" IS DISTINCT FROM NEW."externalId" OR OLD."errorMessage" IS DISTINCT FROM NEW."errorMessage"
        OR OLD."metadata" IS DISTINCT FROM NEW."metadata")
  EXECUTE FUNCTION flowdeck_search.index_run();

CREATE FUNCTION flowdeck_search.index_payload() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW."inputs" IS DISTINCT FROM OLD."inputs" THEN
    INSERT INTO flowdeck_search.run_text (run_id, part, workspace_id, body)
    VALUES (NEW."runId", 1, NEW."workspaceId", NEW."inputs")
    ON CONFLICT (run_id, part) DO UPDATE SET body = EXCLUDED.body;
  END IF;
  IF TG_OP = 'INSERT' OR NEW."outputs" IS DISTINCT FROM OLD."outputs" THEN
    IF NEW."outputs" IS NULL THEN
      DELETE FROM flowdeck_search.run_text WHERE run_id = NEW."runId" AND part = 2;
    ELSE
      INSERT INTO flowdeck_search.run_text (run_id, part, workspace_id, body)
      VALUES (NEW."runId", 2, NEW."workspaceId", NEW."outputs")
      ON CONFLICT (run_id, part) DO UPDATE SET body = EXCLUDED.body;
    END IF;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER run_text_payload_insert AFTER INSERT ON "RunPayload" FOR EACH ROW
  EXECUTE FUNCTION flowdeck_search.index_payload();
-- A run's outputs arrive when it ends: only that part is written then.
CREATE TRIGGER run_text_payload_update AFTER UPDATE OF "inputs", "outputs" ON "RunPayload" FOR EACH ROW
  WHEN (OLD."inputs" IS DISTINCT FROM NEW."inputs" OR OLD."outputs" IS DISTINCT FROM NEW."outputs")
  EXECUTE FUNCTION flowdeck_search.index_payload();

-- The runs already stored, then the index (faster built once than row by row).
INSERT INTO flowdeck_search.run_text (run_id, part, workspace_id, body)
  SELECT "id", 0, "workspaceId", concat_ws(E'\n', "externalId", "errorMessage", "metadata") FROM "Run"
  WHERE "externalId" IS NOT NULL OR "errorMessage" IS NOT NULL OR "metadata" <> '{}';
INSERT INTO flowdeck_search.run_text (run_id, part, workspace_id, body) SELECT "runId", 1, "workspaceId", "inputs" FROM "RunPayload";
INSERT INTO flowdeck_search.run_text (run_id, part, workspace_id, body)
  SELECT "runId", 2, "workspaceId", "outputs" FROM "RunPayload" WHERE "outputs" IS NOT NULL;
CREATE INDEX run_text_body_trgm ON flowdeck_search.run_text USING gin (body gin_trgm_ops);
ANALYZE flowdeck_search.run_text;
