using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace ModelRegistry.IntegrationTests.EventStore.OnMarten;

/// <summary>An inline projection that writes nothing and keeps what it was shown.</summary>
internal sealed class Recorder : IProjection
{
    private readonly List<(string StreamKey, long Version, long Sequence, DateTimeOffset Timestamp)> _events = [];

    public IReadOnlyList<(string StreamKey, long Version, long Sequence, DateTimeOffset Timestamp)> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        lock (_events)
        {
            _events.AddRange(events.Select(e => (e.StreamKey!, e.Version, e.Sequence, e.Timestamp)));
        }

        return Task.CompletedTask;
    }
}
