using System.Net;
using System.Net.Sockets;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Scripts;

/// <summary>
/// <c>scripts/db.sh start</c> in a second checkout, whose own cluster directory would be new, on a port that something
/// already serves. A private cluster stands in for the first checkout's, so the shared test server is never touched.
/// </summary>
public sealed class DbScriptTests : IDisposable
{
    private const string Script = "scripts/db.sh";

    private readonly ScratchCheckout _checkout = new();

    public DbScriptTests() => _checkout.CopyFromRepository(Script);

    /// <summary>The checkout's cluster directory, which db.sh links from <c>.data/pg</c>.</summary>
    private DirectoryInfo? ClusterDirectory =>
        Directory.ResolveLinkTarget(Path.Combine(_checkout.Root, ".data", "pg"), returnFinalTarget: false) as DirectoryInfo;

    [Fact]
    public async Task A_second_checkout_reuses_the_cluster_on_its_port_without_initialising_one_of_its_own()
    {
        await PrivateCluster.BinDirectoryAsync();
        await using var first = await PrivateCluster.StartAsync();

        var start = await StartAsync(first.Port);

        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.Contains("reusing it", start.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("initialising", start.Error, StringComparison.Ordinal);
        Assert.False(ClusterDirectory is { } cluster && Directory.Exists(Path.Combine(cluster.FullName, "data")), start.ToString());
    }

    [Fact]
    public async Task A_port_held_by_something_that_is_not_postgresql_stops_the_start_before_a_cluster_is_initialised()
    {
        await PrivateCluster.BinDirectoryAsync();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();

        var start = await StartAsync(((IPEndPoint)listener.LocalEndpoint).Port);

        Assert.True(start.ExitCode != 0, start.ToString());
        Assert.Contains("REGISTRY_PG_PORT", start.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("initialising", start.Error, StringComparison.Ordinal);
        Assert.False(ClusterDirectory is { } cluster && Directory.Exists(Path.Combine(cluster.FullName, "data")), start.ToString());
    }

    public void Dispose()
    {
        if (ClusterDirectory is { Exists: true } cluster)
        {
            cluster.Delete(recursive: true);
        }

        _checkout.Dispose();
    }

    private Task<ScriptResult> StartAsync(int port) =>
        _checkout.BashAsync(Script, new Dictionary<string, string?> { ["ConnectionStrings__Registry"] = null, ["REGISTRY_PG_PORT"] = $"{port}" }, "start");
}
