using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using ModelRegistry.Common;

namespace ModelRegistry.Access;

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c>: the bootstrap key (<c>Registry:Auth:BootstrapAdminKey</c>) is the principal
/// <see cref="SystemActors.BootstrapAdmin"/>, any other key is looked up in <see cref="ApiKeyStore"/> and its name is the
/// actor. Every endpoint needs at least the reader role unless it says otherwise (the fallback policy); reads may be anonymous when
/// <c>Registry:Auth:AnonymousReads</c> is on and no key is presented. Mutations state their role with <see cref="RequireRole{TBuilder}"/>.
/// </summary>
internal static class Authentication
{
    public const string Scheme = "Bearer";

    public static IServiceCollection AddRegistryAuthentication(this IServiceCollection services)
    {
        services.AddSingleton<BootstrapAdminKey>();
        services.AddHostedService<BootstrapAdminKeyAnnouncer>();
        services.AddAuthentication(Scheme).AddScheme<AuthenticationSchemeOptions, BearerKeyHandler>(Scheme, null);
        var read = new AuthorizationPolicyBuilder().RequireAssertion(context =>
            context.User.IsInRole(ApiKeyStore.Lower(Role.Reader)) || context.Resource is HttpContext http && MayReadAnonymously(http)).Build();
        services.AddAuthorizationBuilder()
            .AddPolicy(PolicyOf(Role.Reader), read)
            .AddPolicy(PolicyOf(Role.Publisher), policy => policy.RequireRole(ApiKeyStore.Lower(Role.Publisher)))
            .AddPolicy(PolicyOf(Role.Admin), policy => policy.RequireRole(ApiKeyStore.Lower(Role.Admin)))
            .SetFallbackPolicy(read);
        return services;
    }

    /// <summary>The endpoint needs a key with at least this role: 401 without one, 403 with a lower one.</summary>
    public static TBuilder RequireRole<TBuilder>(this TBuilder builder, Role role) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(PolicyOf(role));

    /// <summary>The principal a key authenticates as: its name, and its role with every role below it.</summary>
    public static ClaimsPrincipal Principal(string name, Role role, string scheme) =>
        new(new ClaimsIdentity(
            Enum.GetValues<Role>().Where(r => r <= role).Select(r => new Claim(ClaimTypes.Role, ApiKeyStore.Lower(r)))
                .Prepend(new Claim(ClaimTypes.Name, name)),
            scheme));

    private static string PolicyOf(Role role) => "role:" + ApiKeyStore.Lower(role);

    private static bool MayReadAnonymously(HttpContext http) =>
        http.Request.Headers.Authorization.Count == 0 && http.RequestServices.GetRequiredService<IOptions<RegistryOptions>>().Value.Auth.AnonymousReads;
}

/// <summary>The configured bootstrap key, or one generated for this run when none is configured.</summary>
internal sealed class BootstrapAdminKey
{
    private readonly byte[] _hash;

    public BootstrapAdminKey(IOptions<RegistryOptions> options)
    {
        var configured = options.Value.Auth.BootstrapAdminKey;
        Generated = string.IsNullOrWhiteSpace(configured);
        Value = Generated ? Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_') : configured!;
        _hash = SHA256.HashData(Encoding.UTF8.GetBytes(Value));
    }

    public string Value { get; }

    public bool Generated { get; }

    /// <summary>Compares hashes in constant time, so neither the content nor the length of the key leaks through timing.</summary>
    public bool Matches(string presented) =>
        CryptographicOperations.FixedTimeEquals(_hash, SHA256.HashData(Encoding.UTF8.GetBytes(presented)));
}

internal sealed partial class BootstrapAdminKeyAnnouncer(BootstrapAdminKey key, ILogger<BootstrapAdminKeyAnnouncer> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (key.Generated)
        {
            LogGenerated(logger, key.Value);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Registry__Auth__BootstrapAdminKey is not set; this run's admin key (Authorization: Bearer <key>) is {Key}")]
    private static partial void LogGenerated(ILogger logger, string key);
}

internal sealed class BearerKeyHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    BootstrapAdminKey bootstrapKey,
    ApiKeyStore keys,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    private const string Prefix = "Bearer ";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("Not a bearer key.");
        }

        var presented = header[Prefix.Length..].Trim();
        var principal = bootstrapKey.Matches(presented)
            ? Authentication.Principal(SystemActors.BootstrapAdmin, Role.Admin, Scheme.Name)
            : await keys.AuthenticateAsync(presented, Context.RequestAborted) is { } key
                ? Authentication.Principal(key.Name, key.Role, Scheme.Name)
                : null;
        return principal is null
            ? AuthenticateResult.Fail("Unknown or revoked API key.")
            : AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        var presented = Request.Headers.Authorization.Count > 0;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = Problems.Create(401, "unauthorized", presented
                ? "The API key is not valid (unknown, revoked or malformed)."
                : "This request needs 'Authorization: Bearer <api key>'."),
        });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = Problems.Create(403, "forbidden", "The API key's role may not do this."),
        });
    }
}
