using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.Common;
using ModelRegistry.IntegrationTests.EventStore.OnMarten;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.EventStore;

/// <summary>
/// A reader paging through the audit while eight writers run commands, another role's writer rolls transactions back and holds
/// some open past Marten's stale-sequence threshold before committing them: it sees every committed event once, in order. Also
/// when the app runs as a role that cannot see other roles' transactions in <c>pg_stat_activity</c>.
/// </summary>
public sealed class GapSafeReadingUnderLoadTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan HeldPastTheStaleThreshold = TimeSpan.FromSeconds(4);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_reader_following_concurrent_writers_sees_every_committed_event_exactly_once(bool asSuperuser)
    {
        var root = Directory.CreateTempSubdirectory("mr-load-").FullName;
        await using (await RegistryApp.StartAsync(db.ConnectionString, root))
        {
        }

        var role = asSuperuser ? null : await CreateApplicationRoleAsync();
        try
        {
            await using var app = await RegistryApp.StartAsync(role?.ConnectionString ?? db.ConnectionString, root);
            var run = NewName("load");
            var start = await LastPositionAsync();
            var checkpoint = start;
            // Each round, another role's transaction draws a position and holds it open past the stale-sequence threshold while
            // eight writers commit positions after it (and roll some back): the reader asks for what comes after it meanwhile.
            var writing = Task.Run(async () =>
            {
                for (var round = 0; round < 3; round++)
                {
                    await AppendAndCommitLateAsync($"{run}-late-{round}", () => Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
                    {
                        for (var i = 0; i < 20; i++)
                        {
                            if (i % 10 == 0)
                            {
                                await AppendAndRollBackAsync($"{run}-{w}");
                            }

                            await app.InvokeAsync(Version($"{run}-{w}-{i % 5}"));
                        }
                    }))));
                }
            });

            var seen = new List<long>();
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (!writing.IsCompleted || checkpoint < (await PositionsAfterAsync(start)).LastOrDefault())
            {
                Assert.True(DateTime.UtcNow < deadline, $"the reader is stuck at {checkpoint}");
                var page = await app.ReadAsync(checkpoint, 200);
                seen.AddRange(page.Select(e => e.Position));
                checkpoint = page.Count > 0 ? page[^1].Position : checkpoint;
            }

            await writing;
            var stored = await PositionsAfterAsync(start);
            Assert.Equal(3 * 8 * 20 + 8 * 5 + 3, stored.Count);
            Assert.Equal(stored, seen);
        }
        finally
        {
            if (role is not null)
            {
                await DropAsync(role.Name);
            }

            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>A ready version with the next free number (a new model's first also registers the model).</summary>
    private static RegisterVersion Version(string name) => new(
        name, null, new VersionSource(SourceType.Local, "weights.gguf", null, null), null, null, VersionMetadata.Empty, "loader",
        new MeasuredFile($"{name}/{Guid.NewGuid():N}.gguf", 7, new string('d', 64)));

    private sealed record Role(string Name, string ConnectionString);

    /// <summary>A login role with every right on the database's objects, but no superuser and no pg_read_all_stats.</summary>
    private async Task<Role> CreateApplicationRoleAsync()
    {
        var role = $"mr_app_{Guid.NewGuid():N}"[..20];
        var schemas = (await db.RowsAsync("SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'"))
            .Select(r => (string)r[0]!);
        await db.RowsAsync($"CREATE ROLE {role} LOGIN; GRANT ALL ON DATABASE \"{db.Name}\" TO {role}; " + string.Concat(schemas.Select(s => $"""
            GRANT ALL ON SCHEMA {s} TO {role};
            GRANT ALL ON ALL TABLES IN SCHEMA {s} TO {role};
            GRANT ALL ON ALL SEQUENCES IN SCHEMA {s} TO {role};
            GRANT ALL ON ALL FUNCTIONS IN SCHEMA {s} TO {role};
            """)));
        return new Role(role, new NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = role }.ConnectionString);
    }

    private async Task DropAsync(string role)
    {
        NpgsqlConnection.ClearAllPools();
        await db.RowsAsync($"DROP OWNED BY {role}; DROP ROLE {role}");
    }

    /// <summary>Draws a position as another role's writer and rolls it back: a hole nothing will fill.</summary>
    private async Task AppendAndRollBackAsync(string stream)
    {
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await RawAppend.ExecuteAsync(conn, tx, stream, "ModelLocked", 1, """{"reason": "rolled back"}""");
        await Task.Delay(3);
        await tx.RollbackAsync();
    }

    /// <summary>
    /// Draws a position as another role's writer and commits it only once <paramref name="whileHeld"/> is done and Marten would call
    /// its gap stale.
    /// </summary>
    private async Task AppendAndCommitLateAsync(string stream, Func<Task> whileHeld)
    {
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await RawAppend.ExecuteAsync(conn, tx, stream, "ModelLocked", 1, """{"reason": "committed late"}""");
        await Task.WhenAll(whileHeld(), Task.Delay(HeldPastTheStaleThreshold));
        await tx.CommitAsync();
    }

    private async Task<long> LastPositionAsync() => await db.ScalarAsync<long>("SELECT coalesce(max(seq_id), 0) FROM registry.mt_events");

    private async Task<List<long>> PositionsAfterAsync(long start) =>
        (await db.RowsAsync("SELECT seq_id FROM registry.mt_events WHERE seq_id > $1 AND stream_id <> $2 ORDER BY seq_id", start, RegistryStore.TombstoneStream))
        .Select(r => (long)r[0]!).ToList();
}
