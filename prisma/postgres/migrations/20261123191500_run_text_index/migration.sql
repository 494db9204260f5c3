-- Text search index for the runs history (lib/services/run-text-index.ts).
--
-- flowdeck_search.run_text holds each run's searchable text in up to three parts (0 =
-- external id, error message and metadata; 1 = inputs; 2 = outputs), cut into chunks of
-- 2,000 characters that overlap by 200 (the longest search text), with a pg_trgm GIN index:
-- `body ILIKE '%text%'` finds the runs that hold a text without reading every run, and
-- re-checks only small chunks, never a whole large document. The exact match is then
-- tested on those candidates (lib/services/run-search.ts). It lives in its own schema so
-- Prisma's schema diff (public) never sees it. Triggers keep it current on every write path.
-- pg_trgm is a trusted extension: the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE SCHEMA IF NOT EXISTS flowdeck_search;

CREATE TABLE flowdeck_search.run_text (
    run_id integer NOT NULL,
    part smallint NOT NULL,
    chunk integer NOT NULL,
    workspace_id integer NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (run_id, part, chunk)
);

-- Writes one part of a run (replacing what it held): chunk i is characters [1800 i, 1800 i + 2000).
CREATE FUNCTION flowdeck_search.put_part(run integer, workspace integer, which smallint, doc text, replace boolean)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF replace THEN
    DELETE FROM flowdeck_search.run_text WHERE run_id = run AND part = which;
  END IF;
  IF doc IS NULL THEN
    RETURN;
  ELSIF length(doc) <= 2000 THEN
    INSERT INTO flowdeck_search.run_text (run_id, part, chunk, workspace_id, body) VALUES (run, which, 0, workspace, doc);
  ELSE
    INSERT INTO flowdeck_search.run_text (run_id, part, chunk, workspace_id, body)
      SELECT run, which, i, workspace, substr(doc, i * 1800 + 1, 2000)
      FROM generate_series(0, (length(doc) - 201) / 1800) AS i;
  END IF;
END $$;

CREATE FUNCTION flowdeck_search.index_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM flowdeck_search.put_part(NEW."id", NEW."workspaceId", 0::smallint,
    CASE WHEN NEW."externalId" IS NULL AND NEW."errorMessage" IS NULL AND NEW."metadata" = '{}' THEN NULL
         ELSE concat_ws(E'\n', NEW."externalId", NEW."errorMessage", NEW."metadata") END,
    TG_OP = 'UPDATE');
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
    PERFORM flowdeck_search.put_part(NEW."runId", NEW."workspaceId", 1::smallint, NEW."inputs", TG_OP = 'UPDATE');
  END IF;
  IF (TG_OP = 'INSERT' AND NEW."outputs" IS NOT NULL) OR (TG_OP = 'UPDATE' AND NEW."outputs" IS DISTINCT FROM OLD."outputs") THEN
    -- Usually the first outputs of a run: nothing to replace.
    PERFORM flowdeck_search.put_part(NEW."runId", NEW."workspaceId", 2::smallint, NEW."outputs", TG_OP = 'UPDATE' AND OLD."outputs" IS NOT NULL);
  END IF;
  RETURN NULL;
END $$;

-- A deleted run's parts go with it (no foreign key: its check would cost every write a lookup).
CREATE FUNCTION flowdeck_search.forget_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM flowdeck_search.run_text WHERE run_id = OLD."id";
  RETURN NULL;
END $$;

CREATE TRIGGER run_text_delete AFTER DELETE ON "Run" FOR EACH ROW EXECUTE FUNCTION flowdeck_search.forget_run();

CREATE TRIGGER run_text_payload_insert AFTER INSERT ON "RunPayload" FOR EACH ROW
  EXECUTE FUNCTION flowdeck_search.index_payload();
-- A run's outputs arrive when it ends: only that part is written then.
CREATE TRIGGER run_text_payload_update AFTER UPDATE OF "inputs", "outputs" ON "RunPayload" FOR EACH ROW
  WHEN (OLD."inputs" IS DISTINCT FROM NEW."inputs" OR OLD."outputs" IS DISTINCT FROM NEW."outputs")
  EXECUTE FUNCTION flowdeck_search.index_payload();

-- The runs already stored, then the index (faster built once than row by row).
INSERT INTO flowdeck_search.run_text (run_id, part, chunk, workspace_id, body)
  SELECT r."id", 0, i, r."workspaceId", substr(r.doc, i * 1800 + 1, 2000)
  FROM (SELECT "id", "workspaceId", concat_ws(E'\n', "externalId", "errorMessage", "metadata") AS doc FROM "Run"
        WHERE "externalId" IS NOT NULL OR "errorMessage" IS NOT NULL OR "metadata" <> '{}') AS r,
       generate_series(0, greatest(0, (length(r.doc) - 201) / 1800)) AS i;
INSERT INTO flowdeck_search.run_text (run_id, part, chunk, workspace_id, body)
  SELECT "runId", 1, i, "workspaceId", substr("inputs", i * 1800 + 1, 2000)
  FROM "RunPayload", generate_series(0, greatest(0, (length("inputs") - 201) / 1800)) AS i;
INSERT INTO flowdeck_search.run_text (run_id, part, chunk, workspace_id, body)
  SELECT "runId", 2, i, "workspaceId", substr("outputs", i * 1800 + 1, 2000)
  FROM "RunPayload", generate_series(0, greatest(0, (length("outputs") - 201) / 1800)) AS i
  WHERE "outputs" IS NOT NULL;
-- On a large history this build takes minutes; more sort memory (this connection only) shortens it.
SET maintenance_work_mem = '256MB';
CREATE INDEX run_text_body_trgm ON flowdeck_search.run_text USING gin (body gin_trgm_ops);
ANALYZE flowdeck_search.run_text;
