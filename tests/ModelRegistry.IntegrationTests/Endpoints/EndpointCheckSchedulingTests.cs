using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using ModelRegistry.IntegrationTests.Downloads;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;
using static ModelRegistry.IntegrationTests.Endpoints.EndpointScenarios;

namespace ModelRegistry.IntegrationTests.Endpoints;

/// <summary>The chain of scheduled checks across instances and failures, against a loopback server that counts its callers.</summary>
public sealed class EndpointCheckSchedulingTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("mr-endpoint-checks-").FullName;
    private readonly ConcurrentDictionary<string, int> _inFlight = new();
    private readonly ConcurrentBag<(string Path, int Concurrent)> _seen = [];
    private LoopbackServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Two_instances_never_check_one_endpoint_at_the_same_moment()
    {
        await using var first = await StartAsync("Balanced");
        await using var second = await StartAsync("Balanced");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var path = $"/e{i}";
            MapSlowTags(path);
            ids.Add((await first.AddEndpointAsync(new { name = NewName("busy"), base_url = _server.Url(path) })).Str("id")!);
        }

        // Manual checks from both instances race the scheduled ones; each is either run alone or refused (429).
        for (var round = 0; round < 4; round++)
        {
            await Task.WhenAll(ids.SelectMany(id => new[] { first, second }.Select(app =>
                app.Scenario(s => { s.Post.Url($"{V1}/{id}/health"); s.IgnoreStatusCode(); }))));
            await Task.Delay(300);
        }

        await Eventually.HoldsAsync(() => Task.FromResult(ids.Select((_, i) => $"/e{i}/api/tags").All(p => _seen.Count(s => s.Path == p) >= 5)),
            () => string.Join(", ", _seen.GroupBy(s => s.Path).Select(g => $"{g.Key}: {g.Count()}")));
        Assert.All(_seen, s => Assert.Equal(1, s.Concurrent));
    }

    [Fact]
    public async Task An_active_endpoint_whose_chain_of_checks_stopped_is_checked_again_by_the_sweep()
    {
        await using var app = await StartAsync("Solo");
        MapSlowTags("/stalled");
        var id = (await app.AddEndpointAsync(new { name = NewName("stalled"), base_url = _server.Url("/stalled") })).Str("id")!;
        await Eventually.HoldsAsync(() => Task.FromResult(_seen.Any(s => s.Path == "/stalled/api/tags")));

        // As if the chain's last message had ended in the dead letters: its id is no longer the endpoint's, its last check long ago.
        await using (var conn = new Npgsql.NpgsqlConnection(db.ConnectionString))
        {
            await conn.OpenAsync();
            await using var stop = new Npgsql.NpgsqlCommand(
                "UPDATE mr_endpoint_checks SET chain = gen_random_uuid(), checked_at = now() - interval '1 hour', running_until = NULL WHERE endpoint_id = @id", conn);
            stop.Parameters.AddWithValue("id", id);
            await stop.ExecuteNonQueryAsync();
        }

        var before = _seen.Count(s => s.Path == "/stalled/api/tags");
        await Eventually.HoldsAsync(() => Task.FromResult(_seen.Count(s => s.Path == "/stalled/api/tags") >= before + 3),
            () => string.Join('\n', app.Errors));
    }

    [Fact]
    public async Task An_allow_list_entry_that_is_not_a_host_or_range_stops_the_start()
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => RegistryApp.StartAsync(db.ConnectionString, _root,
            new Dictionary<string, string?> { ["Registry:Endpoints:AllowedHosts"] = "10.0.0/8" }));
        Assert.Contains("AllowedHosts", failure.ToString(), StringComparison.Ordinal);
    }

    private void MapSlowTags(string prefix) => _server.Map($"{prefix}/api/tags", async http =>
    {
        var path = http.Request.Path.Value!;
        var concurrent = _inFlight.AddOrUpdate(path, 1, (_, n) => n + 1);
        _seen.Add((path, concurrent));
        try
        {
            await Task.Delay(250);
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync("""{"models":[{"name":"tiny:latest"}]}""");
        }
        finally
        {
            _inFlight.AddOrUpdate(path, 0, (_, n) => n - 1);
        }
    });

    private Task<RegistryApp> StartAsync(string mode) => RegistryApp.StartAsync(db.ConnectionString, _root, new Dictionary<string, string?>
    {
        ["Registry:Durability:Mode"] = mode,
        ["Registry:Endpoints:HealthCheckInterval"] = "00:00:01",
        ["Registry:Endpoints:SweepInterval"] = "00:00:01",
        ["Registry:Endpoints:ManualCheckInterval"] = "00:00:00",
    });
}
