using System.Globalization;
using System.Text.Json;
using Alba;
using ModelRegistry.Catalog;
using JasperFx.Events;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Catalog;

/// <summary>The few steps most catalog tests start from, over HTTP like a client.</summary>
internal static class CatalogScenarios
{
    public const string Models = "/api/v1/models";

    public static string NewName(string prefix = "model") => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public static Task<IScenarioResult> RegisterModel(this RegistryApp app, string name) =>
        app.Scenario(s => { s.Post.SnakeJson(new { name }).ToUrl(Models); s.StatusCodeShouldBe(201); });

    /// <summary>Writes a file of its own under the storage root and registers it as a local version (ready).</summary>
    public static Task<IScenarioResult> RegisterLocalVersion(this RegistryApp app, string name, int? version = null)
    {
        var file = app.WriteFile($"{name.Replace('/', '_')}/{Guid.NewGuid():N}.gguf", Guid.NewGuid().ToString());
        return app.Scenario(s =>
        {
            s.Post.SnakeJson(new { version, source = new { type = "local", uri = file } }).ToUrl($"{Models}/{name}/versions");
            s.StatusCodeShouldBe(201);
        });
    }

    public static Task<IScenarioResult> RegisterUrlVersion(this RegistryApp app, string name) =>
        app.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "url", uri = "https://models.example/model.onnx" } }).ToUrl($"{Models}/{name}/versions");
            s.StatusCodeShouldBe(202);
        });

    /// <summary>Promotes a version to production, expecting <paramref name="expect"/> (null: any status).</summary>
    public static Task<IScenarioResult> Promote(this RegistryApp app, string name, int version, int? expect = 200) =>
        app.Scenario(s =>
        {
            s.Post.SnakeJson(new { stage = "production" }).ToUrl($"{Models}/{name}/versions/{version}/promote");
            if (expect is { } status)
            {
                s.StatusCodeShouldBe(status);
            }
            else
            {
                s.IgnoreStatusCode();
            }
        });

    public static Task<IScenarioResult> Lock(this RegistryApp app, string name, string reason = "release freeze") =>
        app.Scenario(s => { s.Post.SnakeJson(new { reason }).ToUrl($"{Models}/{name}/lock"); s.StatusCodeShouldBe(200); });

    public static async Task<ModelState> FoldAsync(this RegistryApp app, string name) =>
        (await app.StreamAsync(name)).Select(e => e.Data).Aggregate(ModelState.Initial, CatalogStream.Evolve);

    public static IReadOnlyList<string> Types(this IEnumerable<IEvent> events) => events.Select(e => e.EventTypeName).ToList();

    public static int Int(this JsonElement json, string property) => json.GetProperty(property).GetInt32();

    public static string? Str(this JsonElement json, string property) => json.GetProperty(property).GetString();

    public static long VersionOf(string etag) => long.Parse(etag.Trim('"'), CultureInfo.InvariantCulture);
}
