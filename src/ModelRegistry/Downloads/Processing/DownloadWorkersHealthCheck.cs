using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ModelRegistry.Downloads.Processing;

/// <summary>
/// This instance's download worker: healthy while it runs or when it was turned off on purpose (another instance runs the
/// downloads), unhealthy once its loop has ended.
/// </summary>
internal sealed class DownloadWorkersHealthCheck(IDownloadWorkerStatus worker) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = worker.Current();
        var data = new Dictionary<string, object> { ["state"] = status.State.ToString().ToLowerInvariant(), ["running_jobs"] = status.RunningJobs };
        return Task.FromResult(status.State switch
        {
            DownloadWorkerState.Off => HealthCheckResult.Healthy(
                "This instance runs no downloads (Registry:Jobs:RunWorker is false); queued downloads wait for an instance that does.", data),
            DownloadWorkerState.Starting => HealthCheckResult.Healthy("The download worker is starting.", data),
            DownloadWorkerState.Running => HealthCheckResult.Healthy($"The download worker is running {status.RunningJobs} downloads.", data),
            DownloadWorkerState.Failed => HealthCheckResult.Unhealthy($"The download worker's loop died: {status.Error}", data: data),
            _ => HealthCheckResult.Unhealthy("The download worker has stopped.", data: data),
        });
    }
}
