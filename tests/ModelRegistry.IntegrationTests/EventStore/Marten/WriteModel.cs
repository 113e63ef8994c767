using JasperFx.Events;
using Marten.Events.Aggregation;
using ModelRegistry.Catalog;

namespace ModelRegistry.IntegrationTests.EventStore.OnMarten;

/// <summary>
/// The catalog's write-side state under the stream key, folded live by the conformance tests' own projection. Marten wants an
/// <c>Id</c> member on any aggregate, even a live one (<see cref="WriteAggregateTests"/>).
/// </summary>
internal sealed record WriteModel(string Id, ModelState State);

internal sealed class WriteModelProjection : SingleStreamProjection<WriteModel, string>
{
    public override WriteModel? Evolve(WriteModel? snapshot, string id, IEvent e) =>
        new(id, CatalogStream.Evolve(snapshot?.State ?? ModelState.Initial, e.Data));
}
