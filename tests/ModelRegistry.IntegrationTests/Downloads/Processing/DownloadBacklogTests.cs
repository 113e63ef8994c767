using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Downloads;
using ModelRegistry.Downloads.State;
using ModelRegistry.Downloads.Tracking;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;

namespace ModelRegistry.IntegrationTests.Downloads.Processing;

/// <summary>
/// A registration never waits for the download worker: once the instance holds <c>Registry:Jobs:QueueAhead</c> downloads, a new
/// one waits in the database (Wolverine's scheduled inbox) instead of in the local queue, and runs when Wolverine's poll hands it on.
/// </summary>
public sealed class DownloadBacklogTests(TestDatabase db) : DownloadsTestClass(db), IClassFixture<TestDatabase>
{
    private protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Registry:Jobs:Concurrency"] = "1",
        ["Registry:Jobs:QueueAhead"] = "1",
    };

    private DownloadRecords Records => App.Services.GetRequiredService<DownloadRecords>();

    [Fact]
    public async Task A_download_registered_while_the_worker_is_full_waits_in_the_database_and_runs_after_the_one_ahead()
    {
        Server.MapFile("/files/stuck.bin", new byte[2_000_000], breakAfter: 500_000, stall: true);
        Server.MapFile("/files/next.bin", [1, 2, 3]);
        var stuck = await RegisterAsync("stuck", "/files/stuck.bin");
        await Eventually.HoldsAsync(async () => await Records.GetProgressAsync(stuck, default) is { BytesDone: > 0 });

        var next = await RegisterAsync("next", "/files/next.bin");

        Assert.Equal("Scheduled", await MessageStatusAsync(next));
        Assert.Equal(DownloadStates.Queued, (await Records.GetAsync(next, default))!.State);
        Assert.Equal(CancelOutcome.Requested, await App.Services.GetRequiredService<DownloadCancellation>().CancelAsync(stuck, default));
        await Eventually.HoldsAsync(async () => await Records.GetAsync(next, default) is { State: DownloadStates.Succeeded },
            () => string.Join("\n", App.Errors));
        Assert.Equal(DownloadStates.Cancelled, (await Records.GetAsync(stuck, default))!.State);
    }

    private async Task<Guid> RegisterAsync(string prefix, string path)
    {
        var name = $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
        await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "url", uri = Server.Url(path) } }).ToUrl($"/api/v1/models/{name}/versions");
            s.StatusCodeShouldBe(202);
        });
        return DownloadJob.IdFor(name, 1);
    }

    private async Task<string?> MessageStatusAsync(Guid download)
    {
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT status FROM registry.wolverine_incoming_envelopes WHERE position(convert_to(@id, 'UTF8') IN body) > 0", connection);
        command.Parameters.AddWithValue("id", download.ToString());
        return (string?)await command.ExecuteScalarAsync();
    }
}
