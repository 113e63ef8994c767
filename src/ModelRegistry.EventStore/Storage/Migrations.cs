using Npgsql;

namespace ModelRegistry.EventStore.Storage;

/// <summary>A numbered, append-only schema change.</summary>
/// <param name="Id">Unique and increasing; never reuse or edit one that shipped.</param>
/// <param name="Name">What it does.</param>
/// <param name="Sql">The DDL.</param>
public sealed record Migration(int Id, string Name, string Sql);

/// <summary>Applies migrations once each, in order, under an advisory lock so instances starting together cannot race.</summary>
public sealed class SchemaMigrator(NpgsqlDataSource dataSource, IEnumerable<Migration> migrations)
{
    private const long MigrationLockKey = 0x4D525F4D494752; // "MR_MIGR"

    /// <summary>The event store's migrations and <paramref name="migrations"/>, by id; an id used twice is refused.</summary>
    public static IReadOnlyList<Migration> Ordered(IEnumerable<Migration> migrations)
    {
        var ordered = EventStoreSchema.Migrations.Concat(migrations).OrderBy(m => m.Id).ToList();
        var duplicate = ordered.GroupBy(m => m.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Migration id {duplicate.Key} is used twice.");
        }

        return ordered;
    }

    /// <summary>Applies every migration not applied yet; returns the ids it applied.</summary>
    public async Task<IReadOnlyList<int>> MigrateAsync(CancellationToken ct = default)
    {
        var ordered = Ordered(migrations);
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_lock(@k)", conn))
        {
            lockCmd.Parameters.AddWithValue("k", MigrationLockKey);
            await lockCmd.ExecuteNonQueryAsync(ct);
        }

        try
        {
            await using (var create = new NpgsqlCommand(
                "CREATE TABLE IF NOT EXISTS mr_schema_migrations (id int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", conn))
            {
                await create.ExecuteNonQueryAsync(ct);
            }

            var applied = new HashSet<int>();
            await using (var read = new NpgsqlCommand("SELECT id FROM mr_schema_migrations", conn))
            await using (var reader = await read.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    applied.Add(reader.GetInt32(0));
                }
            }

            var done = new List<int>();
            foreach (var migration in ordered.Where(m => !applied.Contains(m.Id)))
            {
                await using var tx = await conn.BeginTransactionAsync(ct);
                await using (var ddl = new NpgsqlCommand(migration.Sql, conn, tx))
                {
                    await ddl.ExecuteNonQueryAsync(ct);
                }

                await using (var mark = new NpgsqlCommand("INSERT INTO mr_schema_migrations (id, name) VALUES (@id, @name)", conn, tx))
                {
                    mark.Parameters.AddWithValue("id", migration.Id);
                    mark.Parameters.AddWithValue("name", migration.Name);
                    await mark.ExecuteNonQueryAsync(ct);
                }

                await tx.CommitAsync(ct);
                done.Add(migration.Id);
            }

            return done;
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@k)", conn);
            unlock.Parameters.AddWithValue("k", MigrationLockKey);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}
