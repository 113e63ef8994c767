using ModelRegistry.Catalog.Reading;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.EventStore;

/// <summary>The audit API as a reader of "every event after position P" uses it.</summary>
internal static class AuditPages
{
    /// <summary>One page of the audit after <paramref name="after"/>: each event's position and stream, in order.</summary>
    public static async Task<List<(long Position, string Stream)>> ReadAsync(this RegistryApp app, long after, int limit = 200)
    {
        var cursor = after > 0 ? $"&cursor={Uri.EscapeDataString(ReadQuery.Cursor('a', after))}" : "";
        var page = await app.Scenario(s => { s.Get.Url($"/api/v1/audit?limit={limit}{cursor}"); s.StatusCodeShouldBe(200); });
        return page.Json.GetProperty("items").EnumerateArray().Select(i => (i.GetProperty("position").GetInt64(), i.Str("stream")!)).ToList();
    }

    /// <summary>Reads pages after <paramref name="after"/> until <paramref name="done"/> holds of what the last one answered.</summary>
    public static async Task<List<(long Position, string Stream)>> ReadUntilAsync(this RegistryApp app, long after,
        Func<List<(long Position, string Stream)>, bool> done)
    {
        var events = new List<(long Position, string Stream)>();
        await Eventually.HoldsAsync(async () => done(events = await app.ReadAsync(after)), () => string.Join(", ", events));
        return events;
    }
}
