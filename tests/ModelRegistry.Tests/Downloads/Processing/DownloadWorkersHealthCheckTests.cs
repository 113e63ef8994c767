using Microsoft.Extensions.Diagnostics.HealthChecks;
using ModelRegistry.Downloads.Processing;
using ModelRegistry.EventStore.Jobs;

namespace ModelRegistry.Tests.Downloads.Processing;

public sealed class DownloadWorkersHealthCheckTests
{
    [Fact]
    public async Task A_worker_whose_loop_died_is_unhealthy_and_says_why()
    {
        var result = await Check(new JobWorkerStatus(JobWorkerState.Failed, 0, "the connection string is gone"));

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("The download worker's loop died: the connection string is gone", result.Description);
        Assert.Equal("failed", result.Data["state"]);
    }

    [Fact]
    public async Task A_worker_that_stopped_is_unhealthy()
    {
        var result = await Check(new JobWorkerStatus(JobWorkerState.Stopped, 0, null));

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("stopped", result.Data["state"]);
    }

    [Theory]
    [InlineData(JobWorkerState.Off, 0)]
    [InlineData(JobWorkerState.Starting, 0)]
    [InlineData(JobWorkerState.Running, 3)]
    public async Task A_worker_that_runs_starts_or_was_turned_off_is_healthy_and_reports_its_running_jobs(JobWorkerState state, int running)
    {
        var result = await Check(new JobWorkerStatus(state, running, null));

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal(state.ToString().ToLowerInvariant(), result.Data["state"]);
        Assert.Equal(running, result.Data["running_jobs"]);
    }

    private static Task<HealthCheckResult> Check(JobWorkerStatus status) =>
        new DownloadWorkersHealthCheck(new FixedStatus(status)).CheckHealthAsync(new HealthCheckContext());

    private sealed class FixedStatus(JobWorkerStatus status) : IJobWorkerStatus
    {
        public JobWorkerStatus Current() => status;
    }
}
