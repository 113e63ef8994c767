namespace ModelRegistry.Access;

/// <summary>Who a request's key is: its name and highest role, or <c>anonymous</c> without a key.</summary>
internal sealed record IdentityResource(string? Name, string Role);

internal static class WhoAmIEndpoint
{
    public static IEndpointRouteBuilder MapWhoAmI(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/me", (HttpContext http) => TypedResults.Ok(Identify(http)))
            .WithTags("Access").WithName("WhoAmI")
            .WithSummary("The key's name and role (anonymous without a key), so a client can offer only what the role may do.");
        return app;
    }

    private static IdentityResource Identify(HttpContext http)
    {
        var role = Enum.GetValues<Role>().Where(r => http.User.IsInRole(ApiKeyStore.Lower(r))).Select(r => (Role?)r).Max();
        return role is { } highest ? new IdentityResource(http.User.Identity?.Name, ApiKeyStore.Lower(highest)) : new IdentityResource(null, "anonymous");
    }
}
