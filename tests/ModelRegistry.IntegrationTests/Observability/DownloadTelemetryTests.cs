using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using ModelRegistry.Downloads;
using ModelRegistry.IntegrationTests.Downloads;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Observability;

public sealed class DownloadTelemetryTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("mr-download-telemetry-").FullName;
    private LoopbackServer _server = null!;
    private RegistryApp _app = null!;

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync();
        _app = await DownloadsApp.StartAsync(db, _root, _server);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_download_logs_with_its_job_id_and_the_requests_correlation_id_and_counts_its_bytes()
    {
        var content = RandomNumberGenerator.GetBytes(300_000);
        _server.MapFile("/files/telemetry.onnx", content);
        var name = NewName();
        var correlation = $"corr-{Guid.NewGuid():N}";
        using var metrics = new MetricsRecorder(_app.Services);

        await _app.Scenario(s =>
        {
            s.Post
                .SnakeJson(new { source = new { type = "url", uri = _server.Url("/files/telemetry.onnx") }, sha256 = Convert.ToHexStringLower(SHA256.HashData(content)) })
                .ToUrl($"{Models}/{name}/versions");
            s.WithRequestHeader("X-Correlation-Id", correlation);
            s.StatusCodeShouldBe(202);
        });
        var job = DownloadJob.IdFor(name, 1).ToString();
        await Eventually.HoldsAsync(async () => (await _app.GetAsync($"/api/v1/downloads/{job}")).Json.Str("state") == "succeeded");
        // The worker logs and counts once the job's transaction has committed, which a reader may see first.
        await Eventually.HoldsAsync(() => Task.FromResult(metrics.Of("modelregistry.downloads.finished").Any()
            && WorkerLines().Any(l => l.Message.StartsWith($"Downloaded {name} version 1", StringComparison.Ordinal))));

        var worker = WorkerLines();
        Assert.All(worker, l => Assert.Equal((job, correlation), (l["JobId"], l["CorrelationId"])));
        Assert.Equal(content.Length, metrics.Sum("modelregistry.download.bytes"));
        var finished = Assert.Single(metrics.Of("modelregistry.downloads.finished"));
        Assert.Equal("succeeded", finished.Tag("outcome"));
    }

    [Fact]
    public async Task The_download_workers_retry_line_carries_the_job_id_and_the_requests_correlation_id()
    {
        var content = RandomNumberGenerator.GetBytes(10_000);
        var requests = 0;
        _server.Map("/files/flaky.onnx", http => Interlocked.Increment(ref requests) == 1
            ? Results.StatusCode(503).ExecuteAsync(http)
            : LoopbackServer.ServeAsync(http, content, "\"v1\""));
        var name = NewName();
        var correlation = $"corr-{Guid.NewGuid():N}";

        await _app.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "url", uri = _server.Url("/files/flaky.onnx") } }).ToUrl($"{Models}/{name}/versions");
            s.WithRequestHeader("X-Correlation-Id", correlation);
            s.StatusCodeShouldBe(202);
        });
        var job = DownloadJob.IdFor(name, 1).ToString();
        await Eventually.HoldsAsync(async () => (await _app.GetAsync($"/api/v1/downloads/{job}")).Json.Str("state") == "succeeded");

        var retry = Assert.Single(_app.Logs, l => l.Category.EndsWith(".DownloadWorker", StringComparison.Ordinal) && l.Message.Contains("retrying", StringComparison.Ordinal));
        Assert.Equal((job, correlation), (retry["JobId"], retry["CorrelationId"]));
    }

    private List<LogLine> WorkerLines() =>
        _app.Logs.Where(l => l.Category.EndsWith(".DownloadWorker", StringComparison.Ordinal)).ToList();

    [Fact]
    public async Task Ready_reports_the_download_worker_running()
    {
        var ready = await _app.Scenario(s => { s.Get.Url("/health/ready"); s.Anonymous(); s.StatusCodeShouldBe(200); });

        var workers = ready.Json.GetProperty("checks").GetProperty("download-workers");
        Assert.Equal(("healthy", "running"), (workers.Str("status"), workers.GetProperty("data").Str("state")));
    }
}
