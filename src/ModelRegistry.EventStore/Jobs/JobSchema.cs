using ModelRegistry.EventStore.Storage;

namespace ModelRegistry.EventStore.Jobs;

/// <summary>
/// Wolverine's durable inbox, reduced to jobs: one row per job in <c>mr_jobs</c> that stays after it finishes (so its
/// state can be shown), and <c>mr_jobs_dead_letter</c> for the jobs that ran out of attempts.
/// </summary>
internal static class JobSchema
{
    public const string Channel = "mr_jobs";

    public static Migration Migration { get; } = new(20, "durable jobs", """
        CREATE TABLE mr_jobs (
            id                uuid PRIMARY KEY,
            queue             text NOT NULL,
            payload           jsonb NOT NULL,
            state             text NOT NULL DEFAULT 'scheduled'
                              CHECK (state IN ('scheduled', 'running', 'succeeded', 'dead_lettered', 'cancelled')),
            attempts          integer NOT NULL DEFAULT 0,
            max_attempts      integer NOT NULL CHECK (max_attempts > 0),
            run_at            timestamptz NOT NULL DEFAULT now(),
            lease_owner       text NULL,
            lease_expires_at  timestamptz NULL,
            fencing_token     bigint NOT NULL DEFAULT 0,
            last_error        text NULL,
            cancel_requested  boolean NOT NULL DEFAULT false,
            progress          jsonb NULL,
            created_at        timestamptz NOT NULL DEFAULT now(),
            updated_at        timestamptz NOT NULL DEFAULT now(),
            finished_at       timestamptz NULL
        );

        -- What a claim scans: jobs that are due, and running jobs whose lease has run out.
        CREATE INDEX ix_mr_jobs_due ON mr_jobs (run_at) WHERE state = 'scheduled';
        CREATE INDEX ix_mr_jobs_leased ON mr_jobs (lease_expires_at) WHERE state = 'running';

        CREATE TABLE mr_jobs_dead_letter (
            id                uuid PRIMARY KEY,
            queue             text NOT NULL,
            payload           jsonb NOT NULL,
            attempts          integer NOT NULL,
            error             text NULL,
            created_at        timestamptz NOT NULL,
            dead_lettered_at  timestamptz NOT NULL DEFAULT now()
        );
        """);
}
