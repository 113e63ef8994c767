using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ModelRegistry.Common;

/// <summary>
/// Until API keys exist (a later issue), one principal: <c>Authorization: Bearer &lt;Registry:Auth:BootstrapAdminKey&gt;</c>
/// is <c>admin</c>. Reads may be anonymous; mutations call <see cref="RequireActor{TBuilder}"/> and answer 401 without it.
/// </summary>
internal static class Authentication
{
    public const string Scheme = "Bearer";
    public const string Admin = "admin";

    public static IServiceCollection AddRegistryAuthentication(this IServiceCollection services)
    {
        services.AddSingleton<BootstrapAdminKey>();
        services.AddHostedService<BootstrapAdminKeyAnnouncer>();
        services.AddAuthentication(Scheme).AddScheme<AuthenticationSchemeOptions, BearerKeyHandler>(Scheme, null);
        services.AddAuthorization();
        return services;
    }

    public static TBuilder RequireActor<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization();
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
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    private const string Prefix = "Bearer ";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) || !bootstrapKey.Matches(header[Prefix.Length..].Trim()))
        {
            return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, Authentication.Admin), new Claim(ClaimTypes.Role, Authentication.Admin)], Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
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
                ? "The API key is not valid."
                : "This request changes the registry and needs 'Authorization: Bearer <api key>'."),
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
