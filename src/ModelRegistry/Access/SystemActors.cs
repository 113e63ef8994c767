using System.Collections.Frozen;

namespace ModelRegistry.Access;

/// <summary>
/// The actors the registry records for what it does by itself. No key may be named after one, so an event's actor always
/// tells the registry's own work from a key holder's.
/// </summary>
internal static class SystemActors
{
    /// <summary>The bootstrap key (<c>Registry:Auth:BootstrapAdminKey</c>).</summary>
    public const string BootstrapAdmin = "admin";

    /// <summary>The periodic integrity check.</summary>
    public const string Integrity = "integrity";

    /// <summary>A download whose request named no actor.</summary>
    public const string Downloads = "downloads";

    /// <summary>The scheduled checks of serving endpoints.</summary>
    public const string EndpointChecks = "endpoint-checks";

    /// <summary>
    /// Every reserved name: the ones above, the names of the registry's other jobs, and those a reader of the audit trail
    /// would take for the registry itself or for no one.
    /// </summary>
    public static FrozenSet<string> Reserved { get; } =
        new[] { BootstrapAdmin, Integrity, Downloads, EndpointChecks, "system", "registry", "anonymous", "scan", "cleanup" }.ToFrozenSet(StringComparer.Ordinal);
}
