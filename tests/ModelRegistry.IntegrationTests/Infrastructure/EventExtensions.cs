using JasperFx.Events;
using ModelRegistry.Common;

namespace ModelRegistry.IntegrationTests.Infrastructure;

public static class EventExtensions
{
    /// <summary>The human reason a command gave, which Marten keeps as a header of each of its events.</summary>
    public static string? Reason(this IEvent e) => e.GetHeader(RegistryStore.ReasonHeader)?.ToString();
}
