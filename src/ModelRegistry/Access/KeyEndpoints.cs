using FluentValidation;
using ModelRegistry.Common;

namespace ModelRegistry.Access;

internal sealed record CreateKeyRequest(string? Name, string? Role);

internal sealed class CreateKeyRequestValidator : AbstractValidator<CreateKeyRequest>
{
    public CreateKeyRequestValidator()
    {
        RuleFor(x => x.Name).NotEmpty().Matches(@"\A[a-z0-9][a-z0-9._-]{0,63}\z")
            .WithMessage("A key name is 1 to 64 lower-case letters, digits, '.', '_' and '-', starting with a letter or digit.")
            .Must(name => !SystemActors.Reserved.Contains(name!))
            .WithMessage(x => $"'{x.Name}' is reserved: the registry records it as the actor of its own work ({string.Join(", ", SystemActors.Reserved.Order(StringComparer.Ordinal))}).");
        RuleFor(x => x.Role).NotEmpty().Must(r => ApiKeyStore.TryParseRole(r, out _)).WithMessage("One of: reader, publisher, admin.");
    }
}

/// <summary>A key as listed: never its secret.</summary>
internal sealed record KeyResource(string Name, string Role, DateTimeOffset CreatedAt, string? CreatedBy, DateTimeOffset? RevokedAt)
{
    public static KeyResource From(ApiKey key) => new(key.Name, ApiKeyStore.Lower(key.Role), key.CreatedAt, key.CreatedBy, key.RevokedAt);
}

/// <summary>The answer to creating a key: the only time its secret is shown.</summary>
internal sealed record CreatedKeyResource(string Name, string Role, string Key, DateTimeOffset CreatedAt);

internal static class KeyEndpoints
{
    public const string Prefix = "/api/v1/keys";

    public static IEndpointRouteBuilder MapKeys(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup(Prefix).WithTags("Access").RequireRole(Role.Admin);
        keys.MapPost("", CreateAsync).Validated().WithName("CreateKey")
            .WithSummary("Creates an API key; the answer is the only time its secret is shown.").Produces<CreatedKeyResource>(StatusCodes.Status201Created);
        keys.MapGet("", async (ApiKeyStore store, CancellationToken ct) => TypedResults.Ok(new { items = (await store.ListAsync(ct)).Select(KeyResource.From) }))
            .WithName("ListKeys").WithSummary("Every key, revoked ones too, without secrets.");
        keys.MapDelete("/{name}", async (string name, HttpContext http, ApiKeyStore store, CancellationToken ct) =>
            await store.RevokeAsync(name, http.User.Identity?.Name, ct)
                ? TypedResults.NoContent()
                : throw DomainErrors.NotFound("key-not-found", $"No key is named '{name}'."))
            .WithName("RevokeKey").WithSummary("Revokes a key: it authenticates no request from then on.");
        return app;
    }

    private static async Task<IResult> CreateAsync(CreateKeyRequest request, HttpContext http, ApiKeyStore store, CancellationToken ct)
    {
        ApiKeyStore.TryParseRole(request.Role, out var role);
        var issued = await store.CreateAsync(request.Name!, role, http.User.Identity?.Name, ct);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Created($"{Prefix}/{issued.Stored.Name}",
            new CreatedKeyResource(issued.Stored.Name, ApiKeyStore.Lower(issued.Stored.Role), issued.Secret, issued.Stored.CreatedAt));
    }
}
