using ModelRegistry.Catalog;
using ModelRegistry.EventStore;

namespace ModelRegistry.Common;

/// <summary>Every module's events under their stored names (SPEC §3).</summary>
internal static class EventTypes
{
    public static void Register(EventTypeRegistry registry)
    {
        CatalogStream.Register(registry);
    }

    public static void Map(Marten.Events.IEventStoreOptions events)
    {
        CatalogStream.Map(events);
    }
}
