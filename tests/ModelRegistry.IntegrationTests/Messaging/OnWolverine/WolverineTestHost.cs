using JasperFx.Events;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelRegistry.Catalog;
using ModelRegistry.Common;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;
using Wolverine;
using Wolverine.Marten;

namespace ModelRegistry.IntegrationTests.Messaging.OnWolverine;

/// <summary>
/// A small generic host on a test class's database: Marten configured as the service configures it, integrated
/// with Wolverine, and only the handlers a test names (no conventional discovery), so each host runs its own.
/// </summary>
internal static class WolverineTestHost
{
    /// <summary>Marten's and Wolverine's tables live in the service's schema.</summary>
    public const string Schema = RegistryStore.Schema;

    public static async Task<IHost> StartAsync(TestDatabase db, Action<WolverineOptions> configure,
        Action<IServiceCollection>? services = null, TestLog? log = null, DurabilityMode mode = DurabilityMode.Solo)
    {
        var host = Build(db, configure, services, log, mode);
        await host.StartAsync();
        return host;
    }

    public static IHost Build(TestDatabase db, Action<WolverineOptions> configure,
        Action<IServiceCollection>? services = null, TestLog? log = null, DurabilityMode mode = DurabilityMode.Solo) =>
        Host.CreateDefaultBuilder()
            .ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                if (log is not null)
                {
                    logging.AddProvider(log);
                }
            })
            .ConfigureServices(s =>
            {
                s.AddMarten(o =>
                {
                    RegistryStore.Configure(o, db.ConnectionString, CatalogStream.Map);
                    o.Projections.Snapshot<Tally>(JasperFx.Events.Projections.SnapshotLifecycle.Inline);
                }).IntegrateWithWolverine();
                services?.Invoke(s);
            })
            .UseWolverine(opts =>
            {
                opts.Durability.Mode = mode;
                opts.Discovery.DisableConventionalDiscovery();
                configure(opts);
            })
            .Build();

    public static IDocumentStore Store(this IHost host) => host.Services.GetRequiredService<IDocumentStore>();

    public static async Task<IReadOnlyList<IEvent>> StreamAsync(this IHost host, string key)
    {
        await using var session = host.Store().QuerySession();
        return await session.Events.FetchStreamAsync(key);
    }

    public static async Task<long> CountAsync(TestDatabase db, string sql, params (string Name, object Value)[] parameters)
    {
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }

        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    public static async Task ExecuteAsync(TestDatabase db, string sql, params (string Name, object Value)[] parameters)
    {
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }

        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Polls until the condition holds, failing with the description after the deadline.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, TimeSpan within, Func<Task<string>>? describe = null)
    {
        var deadline = DateTime.UtcNow + within;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"The condition did not hold within {within.TotalSeconds} s: {(describe is null ? "" : await describe())}");
            }

            await Task.Delay(50);
        }
    }
}

/// <summary>A tiny string-keyed aggregate, snapshotted inline, for the aggregate handler workflow's tests.</summary>
public sealed class Tally
{
    public string Id { get; set; } = "";

    public int Total { get; set; }

    public int Ticks { get; set; }

    public static Tally Create(TallyOpened opened) => new() { Total = opened.Start };

    public void Apply(TallyTicked ticked)
    {
        Total += ticked.By;
        Ticks++;
    }
}

public sealed record TallyOpened(int Start);

public sealed record TallyTicked(int By);
