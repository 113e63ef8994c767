using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Access;

internal static class AccessScenarios
{
    public const string Keys = "/api/v1/keys";

    /// <summary>Creates a key with the bootstrap admin key and returns its secret.</summary>
    public static async Task<string> CreateKeyAsync(this RegistryApp app, string role, string? name = null)
    {
        var created = await app.Scenario(s =>
        {
            s.Post.SnakeJson(new { name = name ?? NewName(role), role }).ToUrl(Keys);
            s.StatusCodeShouldBe(201);
        });
        return created.Json.Str("key")!;
    }
}
