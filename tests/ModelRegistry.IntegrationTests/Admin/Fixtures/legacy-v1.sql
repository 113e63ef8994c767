-- A database written by the previous version (the hand-written event store in public, before Marten): the public
-- schema of a scratch database after the app served these requests over HTTP (as the bootstrap admin, or as carol, a
-- publisher key it created), dumped with PostgreSQL 15's
--   pg_dump --schema=public --inserts --no-owner --no-privileges --no-comments
-- and stripped of the session SET lines, psql meta-commands and CREATE SCHEMA public, so it loads as plain SQL.
--   Acme/Sentiment: registered with tags; versions 1 and 2 local, 3 local with metadata (carol);
--     1 promoted ("baseline"); 2 promoted ("best accuracy", X-Correlation-Id release-42, Idempotency-Key promote-2, carol);
--     rolled back ("v2 broke latency"); 3 archived ("superseded") and restored ("needed again");
--     locked ("audit in progress") and unlocked ("audit done").
--   summarizer (carol, Idempotency-Key register-summarizer): version 1 local, 2 from a URL (pending, its download job
--     scheduled); 1 promoted (carol); description and tags updated; 1 demoted ("regression in eval"); locked ("release freeze").
-- The catalog index on name/description uses pg_trgm, which a dump of one schema leaves out.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE public.catalog_models (
    key text NOT NULL,
    name text NOT NULL,
    description text,
    tags jsonb DEFAULT '{}'::jsonb NOT NULL,
    owner text,
    locked boolean DEFAULT false NOT NULL,
    lock_reason text,
    latest_version integer DEFAULT 0 NOT NULL,
    production_version integer,
    promoted_at timestamp with time zone,
    promoted_by text,
    production_position bigint,
    stream_version bigint NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
)
WITH (fillfactor='70');

CREATE TABLE public.catalog_versions (
    model_key text NOT NULL,
    version integer NOT NULL,
    stage text NOT NULL,
    status text NOT NULL,
    source_type text NOT NULL,
    source_uri text NOT NULL,
    source_revision text,
    source_file text,
    local_path text,
    size_bytes bigint,
    sha256 text,
    format text NOT NULL,
    metadata jsonb,
    created_at timestamp with time zone NOT NULL,
    created_by text,
    downloaded_at timestamp with time zone,
    duplicate_of integer
);

CREATE TABLE public.mr_api_keys (
    name text NOT NULL,
    role text NOT NULL,
    key_id text NOT NULL,
    secret_sha256 bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by text,
    revoked_at timestamp with time zone,
    revoked_by text,
    CONSTRAINT mr_api_keys_role_check CHECK ((role = ANY (ARRAY['reader'::text, 'publisher'::text, 'admin'::text])))
);

CREATE TABLE public.mr_idempotency_keys (
    key text NOT NULL,
    principal text NOT NULL,
    route text NOT NULL,
    request_sha256 bytea NOT NULL,
    status_code integer NOT NULL,
    location text,
    etag text,
    view_kind text NOT NULL,
    view_key text NOT NULL,
    as_of timestamp with time zone,
    body bytea,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.mr_jobs (
    id uuid NOT NULL,
    queue text NOT NULL,
    payload jsonb NOT NULL,
    state text DEFAULT 'scheduled'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    max_attempts integer NOT NULL,
    run_at timestamp with time zone DEFAULT now() NOT NULL,
    lease_owner text,
    lease_expires_at timestamp with time zone,
    fencing_token bigint DEFAULT 0 NOT NULL,
    last_error text,
    cancel_requested boolean DEFAULT false NOT NULL,
    progress jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    CONSTRAINT mr_jobs_max_attempts_check CHECK ((max_attempts > 0)),
    CONSTRAINT mr_jobs_state_check CHECK ((state = ANY (ARRAY['scheduled'::text, 'running'::text, 'succeeded'::text, 'dead_lettered'::text, 'cancelled'::text])))
);

CREATE TABLE public.mr_jobs_dead_letter (
    id uuid NOT NULL,
    queue text NOT NULL,
    payload jsonb NOT NULL,
    attempts integer NOT NULL,
    error text,
    created_at timestamp with time zone NOT NULL,
    dead_lettered_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.mr_schema_migrations (
    id integer NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.mt_event_progression (
    name character varying NOT NULL,
    last_seq_id bigint DEFAULT 0 NOT NULL,
    last_updated timestamp with time zone DEFAULT now() NOT NULL,
    projection_version integer DEFAULT 1 NOT NULL,
    lifecycle character varying DEFAULT 'async'::character varying NOT NULL,
    state character varying DEFAULT 'running'::character varying NOT NULL,
    last_error text,
    rebuild_position bigint,
    rebuild_target bigint,
    rebuild_pass integer DEFAULT 0 NOT NULL,
    rebuild_requested_at timestamp with time zone
);

CREATE TABLE public.mt_events (
    seq_id bigint NOT NULL,
    id uuid NOT NULL,
    stream_id text NOT NULL,
    version bigint NOT NULL,
    data jsonb NOT NULL,
    type character varying(500) NOT NULL,
    "timestamp" timestamp with time zone DEFAULT now() NOT NULL,
    tenant_id character varying DEFAULT '*DEFAULT*'::character varying NOT NULL,
    mt_dotnet_type character varying,
    is_archived boolean DEFAULT false NOT NULL,
    correlation_id character varying,
    causation_id character varying,
    headers jsonb,
    user_name character varying,
    schema_version integer DEFAULT 1 NOT NULL,
    reason text
);

CREATE SEQUENCE public.mt_events_sequence
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

CREATE TABLE public.mt_streams (
    id text NOT NULL,
    type character varying,
    version bigint NOT NULL,
    "timestamp" timestamp with time zone DEFAULT now() NOT NULL,
    snapshot jsonb,
    snapshot_version integer,
    created timestamp with time zone DEFAULT now() NOT NULL,
    tenant_id character varying DEFAULT '*DEFAULT*'::character varying NOT NULL,
    is_archived boolean DEFAULT false NOT NULL
);

INSERT INTO public.catalog_models VALUES ('acme/sentiment', 'Acme/Sentiment', 'sentiment classifier', '{"team": "nlp"}', 'admin', false, NULL, 3, 1, '2026-12-04 18:05:01.768446+00', 'admin', 9, 13, '2026-12-04 18:05:00.671378+00', '2026-12-04 18:05:01.820003+00');
INSERT INTO public.catalog_models VALUES ('summarizer', 'summarizer', 'abstractive summaries', '{"env": "prod"}', 'carol', true, 'release freeze', 2, NULL, NULL, NULL, 19, 7, '2026-12-04 18:05:01.831802+00', '2026-12-04 18:05:01.954898+00');

INSERT INTO public.catalog_versions VALUES ('acme/sentiment', 2, 'staging', 'ready', 'local', 'Acme_Sentiment/5d3106dd811d472980b94ae62ba45ccd.gguf', NULL, NULL, 'Acme_Sentiment/5d3106dd811d472980b94ae62ba45ccd.gguf', 36, '8867e53f652e0aae401b26acacef965491e4a73147fa8f934e7c8518dd2cd3a6', 'gguf', NULL, '2026-12-04 18:05:01.263088+00', 'admin', NULL, NULL);
INSERT INTO public.catalog_versions VALUES ('acme/sentiment', 1, 'production', 'ready', 'local', 'Acme_Sentiment/e1964337aee949db8d7e87b2e1fd224d.gguf', NULL, NULL, 'Acme_Sentiment/e1964337aee949db8d7e87b2e1fd224d.gguf', 36, 'ce98218591701d51abcec658706c9d2ca7b25183f7f428d69e07c453c0077509', 'gguf', NULL, '2026-12-04 18:05:01.090347+00', 'admin', NULL, NULL);
INSERT INTO public.catalog_versions VALUES ('acme/sentiment', 3, 'staging', 'ready', 'local', 'acme/third.onnx', NULL, NULL, 'acme/third.onnx', 11, 'ed7893240f885f30505647c892cc9ec6e86427dad3604a899d422580d7a42eb1', 'onnx', '{"tags": {}, "metrics": {"accuracy": 0.91}, "description": "distilled", "architecture": "bert", "quantization": null, "context_length": null}', '2026-12-04 18:05:01.476673+00', 'carol', NULL, NULL);
INSERT INTO public.catalog_versions VALUES ('summarizer', 2, 'staging', 'pending', 'url', 'https://models.example/model.onnx', NULL, NULL, NULL, NULL, NULL, 'onnx', NULL, '2026-12-04 18:05:01.888184+00', 'admin', NULL, NULL);
INSERT INTO public.catalog_versions VALUES ('summarizer', 1, 'staging', 'ready', 'local', 'summarizer/3ff43d7b44354e23abca46115dba529f.gguf', NULL, NULL, 'summarizer/3ff43d7b44354e23abca46115dba529f.gguf', 36, '419354cf9fde57a1f6000dbebe9bf764b844d3c2267bb958b50c5168760227e5', 'gguf', NULL, '2026-12-04 18:05:01.855688+00', 'admin', NULL, NULL);

INSERT INTO public.mr_api_keys VALUES ('carol', 'publisher', '1ea1c3ad98a84557', '\x6e0a5783e57faed6d7a8808ea29320f0265616d39b22b270719e7dc8dea269c8', '2026-12-04 18:05:00.076057+00', 'admin', NULL, NULL);

INSERT INTO public.mr_idempotency_keys VALUES ('promote-2', 'carol', 'POST /api/v1/models/acme/sentiment/versions/2/promote', '\xb19768b875d229c7c91541d7f0ddc4a1cf01ab4e803ab8b3cc5df8c3bad7a43b', 200, NULL, '"7"', 'version', 'Acme/Sentiment@2', '2026-12-04 18:05:01.684916+00', '\x7b226e616d65223a2241636d652f53656e74696d656e74222c2276657273696f6e223a322c227374616765223a2270726f64756374696f6e222c22737461747573223a227265616479222c22736f75726365223a7b2274797065223a226c6f63616c222c22757269223a2241636d655f53656e74696d656e742f35643331303664643831316434373239383062393461653632626134356363642e67677566222c227265766973696f6e223a6e756c6c2c2266696c65223a6e756c6c7d2c226c6f63616c5f70617468223a2241636d655f53656e74696d656e742f35643331303664643831316434373239383062393461653632626134356363642e67677566222c2273697a655f6279746573223a33362c22736861323536223a2238383637653533663635326530616165343031623236616361636566393635343931653461373331343766613866393334653763383531386464326364336136222c22666f726d6174223a2267677566222c226d65746164617461223a7b226465736372697074696f6e223a6e756c6c2c226d657472696373223a7b7d2c22617263686974656374757265223a6e756c6c2c227175616e74697a6174696f6e223a6e756c6c2c22636f6e746578745f6c656e677468223a6e756c6c2c2274616773223a7b7d7d2c22637265617465645f6174223a22323032362d31322d30345431383a30353a30312e3236333038385a222c22637265617465645f6279223a2261646d696e222c22646f776e6c6f616465645f6174223a6e756c6c2c22736f757263655f74797065223a226c6f63616c222c22736f757263655f757269223a2241636d655f53656e74696d656e742f35643331303664643831316434373239383062393461653632626134356363642e67677566222c226475706c69636174655f6f66223a6e756c6c7d', '2026-12-04 18:05:01.684916+00');
INSERT INTO public.mr_idempotency_keys VALUES ('register-summarizer', 'carol', 'POST /api/v1/models', '\x6ddffa8c246bd38fad2edba0a895cf9fb9809c1df79589abf43163686ff5333c', 201, '/api/v1/models/summarizer', '"1"', 'model', 'summarizer', '2026-12-04 18:05:01.831802+00', '\x7b226e616d65223a2273756d6d6172697a6572222c226465736372697074696f6e223a6e756c6c2c2274616773223a7b7d2c226f776e6572223a226361726f6c222c226c6f636b6564223a66616c73652c226c6f636b5f726561736f6e223a6e756c6c2c2270726f64756374696f6e5f76657273696f6e223a6e756c6c2c226c61746573745f76657273696f6e223a6e756c6c2c2273747265616d5f76657273696f6e223a312c22637265617465645f6174223a22323032362d31322d30345431383a30353a30312e3833313830325a222c22757064617465645f6174223a22323032362d31322d30345431383a30353a30312e3833313830325a222c2276657273696f6e73223a5b5d2c2276657273696f6e735f6e6578745f637572736f72223a6e756c6c7d', '2026-12-04 18:05:01.831802+00');

INSERT INTO public.mr_jobs VALUES ('f979940a-394a-8029-8063-d89f74844a69', 'downloads', '{"actor": "admin", "sha256": null, "source": {"uri": "https://models.example/model.onnx", "file": null, "type": "url", "revision": null}, "version": 2, "modelName": "summarizer", "correlationId": "01a2423b-243d-7dff-8ab7-9e816726f987"}', 'scheduled', 0, 5, '2026-12-04 18:05:01.888184+00', NULL, NULL, 0, NULL, false, NULL, '2026-12-04 18:05:01.888184+00', '2026-12-04 18:05:01.888184+00', NULL);

INSERT INTO public.mr_schema_migrations VALUES (1, 'event store tables', '2026-12-04 18:04:58.105192+00');
INSERT INTO public.mr_schema_migrations VALUES (2, 'appends as one statement (AppendStatement) instead of a function', '2026-12-04 18:04:58.17687+00');
INSERT INTO public.mr_schema_migrations VALUES (3, 'events without a foreign key to their stream row', '2026-12-04 18:04:58.198679+00');
INSERT INTO public.mr_schema_migrations VALUES (20, 'durable jobs', '2026-12-04 18:04:58.200558+00');
INSERT INTO public.mr_schema_migrations VALUES (101, 'idempotency keys', '2026-12-04 18:04:58.237426+00');
INSERT INTO public.mr_schema_migrations VALUES (110, 'catalog reads: audit indexes, pg_trgm when available', '2026-12-04 18:04:58.249556+00');
INSERT INTO public.mr_schema_migrations VALUES (111, 'catalog reads: the q trigram index covers the name, not the key', '2026-12-04 18:04:58.263237+00');
INSERT INTO public.mr_schema_migrations VALUES (112, 'catalog reads: versions name the earlier version with their content', '2026-12-04 18:04:58.266189+00');
INSERT INTO public.mr_schema_migrations VALUES (130, 'api keys', '2026-12-04 18:04:58.271386+00');

INSERT INTO public.mt_event_progression VALUES ('catalog', 0, '2026-12-04 18:04:58.286385+00', 1, 'inline', 'running', NULL, NULL, NULL, 0, NULL);

INSERT INTO public.mt_events VALUES (1, '01a2423b-1ea9-70f5-bddc-ce1f28e19685', 'acme/sentiment', 1, '{"name": "Acme/Sentiment", "tags": {"team": "nlp"}, "owner": "admin", "description": "sentiment classifier"}', 'ModelRegistered', '2026-12-04 18:05:00.671378+00', '*DEFAULT*', NULL, false, 'setup-1', '0HNQI64E3RP3D', NULL, 'admin', 1, NULL);
INSERT INTO public.mt_events VALUES (2, '01a2423b-2122-7a11-8144-4e3364aaddc8', 'acme/sentiment', 2, '{"format": "gguf", "sha256": "ce98218591701d51abcec658706c9d2ca7b25183f7f428d69e07c453c0077509", "source": {"uri": "Acme_Sentiment/e1964337aee949db8d7e87b2e1fd224d.gguf", "file": null, "type": "local", "revision": null}, "status": "ready", "version": 1, "metadata": {"tags": {}, "metrics": {}, "description": null, "architecture": null, "quantization": null, "context_length": null}, "local_path": "Acme_Sentiment/e1964337aee949db8d7e87b2e1fd224d.gguf", "size_bytes": 36}', 'VersionRegistered', '2026-12-04 18:05:01.090347+00', '*DEFAULT*', NULL, false, '01a2423b-202b-73d9-8b53-9ca9b8550278', '0HNQI64E3RP3E', NULL, 'admin', 1, NULL);
INSERT INTO public.mt_events VALUES (3, '01a2423b-21ce-758b-8d59-8e49eee1c473', 'acme/sentiment', 3, '{"format": "gguf", "sha256": "8867e53f652e0aae401b26acacef965491e4a73147fa8f934e7c8518dd2cd3a6", "source": {"uri": "Acme_Sentiment/5d3106dd811d472980b94ae62ba45ccd.gguf", "file": null, "type": "local", "revision": null}, "status": "ready", "version": 2, "metadata": {"tags": {}, "metrics": {}, "description": null, "architecture": null, "quantization": null, "context_length": null}, "local_path": "Acme_Sentiment/5d3106dd811d472980b94ae62ba45ccd.gguf", "size_bytes": 36}', 'VersionRegistered', '2026-12-04 18:05:01.263088+00', '*DEFAULT*', NULL, false, '01a2423b-21cc-7272-ab29-725764f5f29a', '0HNQI64E3RP3F', NULL, 'admin', 1, NULL);
INSERT INTO public.mt_events VALUES (4, '01a2423b-22a4-7617-8a1a-e5801745dad6', 'acme/sentiment', 4, '{"format": "onnx", "sha256": "ed7893240f885f30505647c892cc9ec6e86427dad3604a899d422580d7a42eb1", "source": {"uri": "acme/third.onnx", "file": null, "type": "local", "revision": null}, "status": "ready", "version": 3, "metadata": {"tags": {}, "metrics": {"accuracy": 0.91}, "description": "distilled", "architecture": "bert", "quantization": null, "context_length": null}, "local_path": "acme/third.onnx", "size_bytes": 11}', 'VersionRegistered', '2026-12-04 18:05:01.476673+00', '*DEFAULT*', NULL, false, '01a2423b-2273-7beb-94de-6702a617746c', '0HNQI64E3RP3G', NULL, 'carol', 1, NULL);
INSERT INTO public.mt_events VALUES (5, '01a2423b-231b-73f0-a677-9fdf7229efcf', 'acme/sentiment', 5, '{"stage": "production", "version": 1, "rollback": false, "previous_version": null}', 'VersionPromoted', '2026-12-04 18:05:01.595768+00', '*DEFAULT*', NULL, false, '01a2423b-22d2-75f5-b4bd-f8eeeef64dfc', '0HNQI64E3RP3H', NULL, 'admin', 1, 'baseline');
INSERT INTO public.mt_events VALUES (6, '01a2423b-2374-7c2d-86ff-5fe1020818dd', 'acme/sentiment', 6, '{"to": "staging", "from": "production", "version": 1}', 'VersionDemoted', '2026-12-04 18:05:01.684916+00', '*DEFAULT*', NULL, false, 'release-42', 'promote-2', NULL, 'carol', 1, 'best accuracy');
INSERT INTO public.mt_events VALUES (7, '01a2423b-2374-76d4-ba3a-1969b8823d45', 'acme/sentiment', 7, '{"stage": "production", "version": 2, "rollback": false, "previous_version": 1}', 'VersionPromoted', '2026-12-04 18:05:01.684916+00', '*DEFAULT*', NULL, false, 'release-42', 'promote-2', NULL, 'carol', 1, 'best accuracy');
INSERT INTO public.mt_events VALUES (8, '01a2423b-23c7-7776-b0f2-90da22f44544', 'acme/sentiment', 8, '{"to": "staging", "from": "production", "version": 2}', 'VersionDemoted', '2026-12-04 18:05:01.768446+00', '*DEFAULT*', NULL, false, '01a2423b-23c5-75e6-9442-8fa716db3eba', '0HNQI64E3RP3J', NULL, 'admin', 1, 'v2 broke latency');
INSERT INTO public.mt_events VALUES (9, '01a2423b-23c7-79d5-9148-9bb83ab96c3a', 'acme/sentiment', 9, '{"stage": "production", "version": 1, "rollback": true, "previous_version": 2}', 'VersionPromoted', '2026-12-04 18:05:01.768446+00', '*DEFAULT*', NULL, false, '01a2423b-23c5-75e6-9442-8fa716db3eba', '0HNQI64E3RP3J', NULL, 'admin', 1, 'v2 broke latency');
INSERT INTO public.mt_events VALUES (10, '01a2423b-23d2-701c-82b2-a0da461d35a0', 'acme/sentiment', 10, '{"version": 3}', 'VersionArchived', '2026-12-04 18:05:01.778908+00', '*DEFAULT*', NULL, false, '01a2423b-23d0-73b7-9448-4063edf09112', '0HNQI64E3RP3K', NULL, 'admin', 1, 'superseded');
INSERT INTO public.mt_events VALUES (11, '01a2423b-23dc-7082-bcf9-f31c17320640', 'acme/sentiment', 11, '{"version": 3}', 'VersionRestored', '2026-12-04 18:05:01.789135+00', '*DEFAULT*', NULL, false, '01a2423b-23da-7d64-b7f1-1d003a5481a1', '0HNQI64E3RP3L', NULL, 'admin', 1, 'needed again');
INSERT INTO public.mt_events VALUES (12, '01a2423b-23e8-7eb9-9a1a-6cb1dc3b62f3', 'acme/sentiment', 12, '{"reason": "audit in progress"}', 'ModelLocked', '2026-12-04 18:05:01.801377+00', '*DEFAULT*', NULL, false, '01a2423b-23e6-7cea-83b2-49bec4f9894b', '0HNQI64E3RP3M', NULL, 'admin', 1, 'audit in progress');
INSERT INTO public.mt_events VALUES (13, '01a2423b-23fb-742e-9032-9fe0d1490752', 'acme/sentiment', 13, '{"reason": "audit done"}', 'ModelUnlocked', '2026-12-04 18:05:01.820003+00', '*DEFAULT*', NULL, false, '01a2423b-23f9-7dd5-8e21-33bea02fbb81', '0HNQI64E3RP3N', NULL, 'admin', 1, 'audit done');
INSERT INTO public.mt_events VALUES (14, '01a2423b-2407-7b26-9ad9-d6ac3fc55267', 'summarizer', 1, '{"name": "summarizer", "tags": {}, "owner": "carol", "description": null}', 'ModelRegistered', '2026-12-04 18:05:01.831802+00', '*DEFAULT*', NULL, false, '01a2423b-2404-707a-b0e3-9db8af25919a', 'register-summarizer', NULL, 'carol', 1, NULL);
INSERT INTO public.mt_events VALUES (15, '01a2423b-241f-74d7-941d-14b8e2915614', 'summarizer', 2, '{"format": "gguf", "sha256": "419354cf9fde57a1f6000dbebe9bf764b844d3c2267bb958b50c5168760227e5", "source": {"uri": "summarizer/3ff43d7b44354e23abca46115dba529f.gguf", "file": null, "type": "local", "revision": null}, "status": "ready", "version": 1, "metadata": {"tags": {}, "metrics": {}, "description": null, "architecture": null, "quantization": null, "context_length": null}, "local_path": "summarizer/3ff43d7b44354e23abca46115dba529f.gguf", "size_bytes": 36}', 'VersionRegistered', '2026-12-04 18:05:01.855688+00', '*DEFAULT*', NULL, false, '01a2423b-241e-7f6b-ab3e-f2bc911d4633', '0HNQI64E3RP3P', NULL, 'admin', 1, NULL);
INSERT INTO public.mt_events VALUES (16, '01a2423b-243f-764c-a5d1-d38bfa6c447f', 'summarizer', 3, '{"format": "onnx", "sha256": null, "source": {"uri": "https://models.example/model.onnx", "file": null, "type": "url", "revision": null}, "status": "pending", "version": 2, "metadata": {"tags": {}, "metrics": {}, "description": null, "architecture": null, "quantization": null, "context_length": null}, "local_path": null, "size_bytes": null}', 'VersionRegistered', '2026-12-04 18:05:01.888184+00', '*DEFAULT*', NULL, false, '01a2423b-243d-7dff-8ab7-9e816726f987', '0HNQI64E3RP3Q', NULL, 'admin', 1, NULL);
INSERT INTO public.mt_events VALUES (17, '01a2423b-2452-7096-94e8-89ca0e15ee54', 'summarizer', 4, '{"stage": "production", "version": 1, "rollback": false, "previous_version": null}', 'VersionPromoted', '2026-12-04 18:05:01.907966+00', '*DEFAULT*', NULL, false, '01a2423b-2451-79b5-84ee-ab1f8d8ce5a8', '0HNQI64E3RP3R', NULL, 'carol', 1, NULL);
INSERT INTO public.mt_events VALUES (18, '01a2423b-2470-7d77-b154-7e86eea4f799', 'summarizer', 5, '{"tags": {"env": "prod"}, "description": "abstractive summaries"}', 'ModelUpdated', '2026-12-04 18:05:01.936928+00', '*DEFAULT*', NULL, false, '01a2423b-246d-7118-bb2f-6801218b856a', '0HNQI64E3RP3S', NULL, 'admin', 1, NULL);
INSERT INTO public.mt_events VALUES (19, '01a2423b-2479-7af5-8f27-1baefa84df33', 'summarizer', 6, '{"to": "staging", "from": "production", "version": 1}', 'VersionDemoted', '2026-12-04 18:05:01.946326+00', '*DEFAULT*', NULL, false, '01a2423b-2478-76b6-82c2-780afbe12697', '0HNQI64E3RP3T', NULL, 'admin', 1, 'regression in eval');
INSERT INTO public.mt_events VALUES (20, '01a2423b-2480-7850-868e-bf7b92cc8c24', 'summarizer', 7, '{"reason": "release freeze"}', 'ModelLocked', '2026-12-04 18:05:01.954898+00', '*DEFAULT*', NULL, false, '01a2423b-2480-7acc-b4ae-36cb18718576', '0HNQI64E3RP3U', NULL, 'admin', 1, 'release freeze');

INSERT INTO public.mt_streams VALUES ('acme/sentiment', 'model', 13, '2026-12-04 18:05:01.820003+00', NULL, NULL, '2026-12-04 18:05:00.671378+00', '*DEFAULT*', false);
INSERT INTO public.mt_streams VALUES ('summarizer', 'model', 7, '2026-12-04 18:05:01.954898+00', NULL, NULL, '2026-12-04 18:05:01.831802+00', '*DEFAULT*', false);

SELECT pg_catalog.setval('public.mt_events_sequence', 20, true);

ALTER TABLE ONLY public.catalog_models
    ADD CONSTRAINT catalog_models_pkey PRIMARY KEY (key);

ALTER TABLE ONLY public.catalog_versions
    ADD CONSTRAINT catalog_versions_pkey PRIMARY KEY (model_key, version);

ALTER TABLE ONLY public.mr_api_keys
    ADD CONSTRAINT mr_api_keys_key_id_key UNIQUE (key_id);

ALTER TABLE ONLY public.mr_api_keys
    ADD CONSTRAINT mr_api_keys_pkey PRIMARY KEY (name);

ALTER TABLE ONLY public.mr_idempotency_keys
    ADD CONSTRAINT mr_idempotency_keys_pkey PRIMARY KEY (key, principal, route);

ALTER TABLE ONLY public.mr_jobs_dead_letter
    ADD CONSTRAINT mr_jobs_dead_letter_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.mr_jobs
    ADD CONSTRAINT mr_jobs_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.mr_schema_migrations
    ADD CONSTRAINT mr_schema_migrations_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.mt_event_progression
    ADD CONSTRAINT mt_event_progression_pkey PRIMARY KEY (name);

ALTER TABLE ONLY public.mt_events
    ADD CONSTRAINT mt_events_pkey PRIMARY KEY (seq_id);

ALTER TABLE ONLY public.mt_streams
    ADD CONSTRAINT mt_streams_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.mt_events
    ADD CONSTRAINT pk_mt_events_stream_and_version UNIQUE (stream_id, version);

ALTER TABLE ONLY public.mt_events
    ADD CONSTRAINT uq_mt_events_id UNIQUE (id);

CREATE INDEX catalog_models_name_description_idx ON public.catalog_models USING gin (name public.gin_trgm_ops, description public.gin_trgm_ops);

CREATE INDEX catalog_models_tags_idx ON public.catalog_models USING gin (tags jsonb_path_ops);

CREATE INDEX catalog_versions_local_path_idx ON public.catalog_versions USING btree (local_path) WHERE (local_path IS NOT NULL);

CREATE INDEX catalog_versions_model_key_stage_idx ON public.catalog_versions USING btree (model_key, stage);

CREATE INDEX catalog_versions_model_key_status_idx ON public.catalog_versions USING btree (model_key, status);

CREATE INDEX ix_mr_idempotency_keys_created_at ON public.mr_idempotency_keys USING btree (created_at);

CREATE INDEX ix_mr_jobs_due ON public.mr_jobs USING btree (run_at) WHERE (state = 'scheduled'::text);

CREATE INDEX ix_mr_jobs_leased ON public.mr_jobs USING btree (lease_expires_at) WHERE (state = 'running'::text);

CREATE INDEX ix_mt_events_stream_seq ON public.mt_events USING btree (stream_id, seq_id);

CREATE INDEX ix_mt_events_timestamp ON public.mt_events USING btree ("timestamp", seq_id);

CREATE INDEX ix_mt_events_type_seq ON public.mt_events USING btree (type, seq_id);

CREATE INDEX ix_mt_events_user_seq ON public.mt_events USING btree (user_name, seq_id) WHERE (user_name IS NOT NULL);
