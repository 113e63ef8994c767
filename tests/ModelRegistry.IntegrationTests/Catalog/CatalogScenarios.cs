using System.Globalization;
using System.Text.Json;
using ModelRegistry.Catalog;
using ModelRegistry.EventStore;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Catalog;

/// <summary>The few steps most catalog tests start from, over HTTP like a client.</summary>
internal static class CatalogScenarios
{
    public const string Models = "/api/v1/models";

    public static string NewName(string prefix = "model") => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public static Task<ScenarioResult> RegisterModel(this RegistryApp app, string name) =>
        app.Scenario(s => s.Post.Json(new { name }).ToUrl(Models), expect: 201);

    /// <summary>Writes a file of its own under the storage root and registers it as a local version (ready).</summary>
    public static Task<ScenarioResult> RegisterLocalVersion(this RegistryApp app, string name, int? version = null)
    {
        var file = app.WriteFile($"{name.Replace('/', '_')}/{Guid.NewGuid():N}.gguf", Guid.NewGuid().ToString());
        return app.Scenario(s => s.Post.Json(new { version, source = new { type = "local", uri = file } }).ToUrl($"{Models}/{name}/versions"),
            expect: 201);
    }

    public static Task<ScenarioResult> RegisterUrlVersion(this RegistryApp app, string name) =>
        app.Scenario(s => s.Post.Json(new { source = new { type = "url", uri = "https://models.example/model.onnx" } })
            .ToUrl($"{Models}/{name}/versions"), expect: 202);

    public static Task<ScenarioResult> Promote(this RegistryApp app, string name, int version, int? expect = 200) =>
        app.Scenario(s => s.Post.Json(new { stage = "production" }).ToUrl($"{Models}/{name}/versions/{version}/promote"), expect);

    public static Task<ScenarioResult> Lock(this RegistryApp app, string name, string reason = "release freeze") =>
        app.Scenario(s => s.Post.Json(new { reason }).ToUrl($"{Models}/{name}/lock"), expect: 200);

    public static async Task<ModelState> FoldAsync(this RegistryApp app, string name) =>
        (await app.StreamAsync(name)).Select(e => e.Data).Aggregate(ModelState.Initial, ModelState.Evolve);

    public static IReadOnlyList<string> Types(this IEnumerable<StoredEvent> events) => events.Select(e => e.Type).ToList();

    public static int Int(this JsonElement json, string property) => json.GetProperty(property).GetInt32();

    public static string? Str(this JsonElement json, string property) => json.GetProperty(property).GetString();

    public static long VersionOf(string etag) => long.Parse(etag.Trim('"'), CultureInfo.InvariantCulture);
}
