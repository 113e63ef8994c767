using Microsoft.Extensions.Diagnostics.HealthChecks;
using ModelRegistry.Downloads.Processing;

namespace ModelRegistry.Tests.Downloads.Processing;

public sealed class DownloadWorkersHealthCheckTests
{
    [Fact]
    public async Task A_worker_whose_loop_died_is_unhealthy_and_says_why()
    {
        var result = await Check(new DownloadWorkerStatus(DownloadWorkerState.Failed, 0, "the connection string is gone"));

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("The download worker's loop died: the connection string is gone", result.Description);
        Assert.Equal("failed", result.Data["state"]);
    }

    [Fact]
    public async Task A_worker_that_stopped_is_unhealthy()
    {
        var result = await Check(new DownloadWorkerStatus(DownloadWorkerState.Stopped, 0, null));

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("stopped", result.Data["state"]);
    }

    [Theory]
    [InlineData(DownloadWorkerState.Off, 0)]
    [InlineData(DownloadWorkerState.Starting, 0)]
    [InlineData(DownloadWorkerState.Running, 3)]
    public async Task A_worker_that_runs_starts_or_was_turned_off_is_healthy_and_reports_its_running_jobs(DownloadWorkerState state, int running)
    {
        var result = await Check(new DownloadWorkerStatus(state, running, null));

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal(state.ToString().ToLowerInvariant(), result.Data["state"]);
        Assert.Equal(running, result.Data["running_jobs"]);
    }

    private static Task<HealthCheckResult> Check(DownloadWorkerStatus status) =>
        new DownloadWorkersHealthCheck(new FixedStatus(status)).CheckHealthAsync(new HealthCheckContext());

    private sealed class FixedStatus(DownloadWorkerStatus status) : IDownloadWorkerStatus
    {
        public DownloadWorkerStatus Current() => status;
    }
}
