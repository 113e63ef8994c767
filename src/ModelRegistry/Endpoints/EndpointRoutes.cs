using System.Globalization;
using Marten.Exceptions;
using ModelRegistry.Access;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;
using ModelRegistry.Endpoints.Checking;
using ModelRegistry.Endpoints.Reading;
using ModelRegistry.Endpoints.Registering;
using ModelRegistry.Endpoints.Removing;
using ModelRegistry.Endpoints.Updating;
using ModelRegistry.Endpoints.Usage;
using Npgsql;
using Wolverine;

namespace ModelRegistry.Endpoints;

/// <summary>
/// The endpoint routes, once per dialect: the seed's <c>/api/local-models</c> in camelCase and <c>/api/v1/endpoints</c> in
/// snake_case, over the same commands and reads. Every route needs a key: an endpoint belongs to the principal that added it.
/// </summary>
internal static class EndpointRoutes
{
    public const string SeedPrefix = "/api/local-models";
    public const string Prefix = "/api/v1/endpoints";

    public static IEndpointRouteBuilder MapEndpointRoutes(this IEndpointRouteBuilder app)
    {
        // A key is needed even where reads may be anonymous: an endpoint is someone's.
        var seed = app.MapGroup(SeedPrefix).WithTags("Local models (seed 004)").RequireAuthorization(KeyHolder);
        Map(seed, EndpointJson.CamelCase, "LocalModels");
        var v1 = app.MapGroup(Prefix).WithTags("Endpoints").RequireAuthorization(KeyHolder);
        Map(v1, EndpointJson.SnakeCase, "Endpoints");
        v1.MapGet("/serving", async (HttpContext http, ServingEndpoints serving) =>
            {
                var model = http.Request.Query["model"].ToString();
                int? version = http.Request.Query["version"].ToString() is { Length: > 0 } raw
                    ? int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v
                        : throw DomainErrors.Invalid("version", "invalid-version", "version is a positive integer.")
                    : null;
                if (model.Length == 0)
                {
                    throw DomainErrors.Invalid("model", "model-required", "Name the model: ?model=<name>.");
                }

                return await serving.FindAsync(CallerOf(http), model, version, http.RequestAborted) is { } found
                    ? EndpointJson.SnakeCase.Write(found)
                    : throw DomainErrors.NotFound("model-not-found", version is null ? $"Model '{model}' does not exist." : $"Model '{model}' has no version {version}.");
            })
            .WithName("ServingEndpoints").Produces<ServingResource>()
            .WithSummary("The caller's endpoints that serve a model (?model=) or one of its versions (&version=), matched by SHA-256 or by name, with their health.");
        v1.MapGet("/{id}/history", async (string id, HttpContext http, EndpointReader reader) =>
                await reader.ChangesAsync(CallerOf(http), id, ReadQuery.Limit(http.Request.Query["limit"]),
                    ReadQuery.CursorNumber(http.Request.Query["cursor"], 'h') ?? 0, http.RequestAborted) is { } page
                    ? EndpointJson.SnakeCase.Write(page)
                    : throw EndpointErrors.NotFound(id))
            .WithName("EndpointHistory").Produces<Page<HistoryItem>>()
            .WithSummary("The endpoint's events, oldest first: who added, changed, turned on or off and removed it, and each change of its health or models.");
        v1.MapGet("/{id}/health/history", HistoryAsync).WithName("EndpointHealthHistory")
            .WithSummary("The endpoint's checks, newest first, a page at a time (limit, cursor).").Produces<Page<HealthCheckItem>>();
        v1.MapPost("/{id}/usage", RecordUsageAsync).RequireRole(Role.Publisher).WithName("RecordEndpointUsage").Accepts<UsageRequest>("application/json")
            .WithSummary("Records a use of the endpoint (model, tokens, latency), as a gateway or client reports it.").Produces(StatusCodes.Status204NoContent);
        v1.MapPost("/{id}/activate", (string id, HttpContext http) => SetActiveAsync(http, id, true)).RequireRole(Role.Publisher)
            .WithName("ActivateEndpoint").WithSummary("Turns the endpoint's scheduled checks on, and checks it now.").Produces<EndpointResource>();
        v1.MapPost("/{id}/deactivate", (string id, HttpContext http) => SetActiveAsync(http, id, false)).RequireRole(Role.Publisher)
            .WithName("DeactivateEndpoint").WithSummary("Turns the endpoint's scheduled checks off.").Produces<EndpointResource>();
        return app;
    }

    private static void Map(RouteGroupBuilder group, EndpointJson json, string names)
    {
        var v1 = json == EndpointJson.SnakeCase;
        var list = group.MapGet("", async (HttpContext http, EndpointReader reader) =>
            json.Write(await reader.ListAsync(CallerOf(http), http.RequestAborted))).WithName($"List{names}")
            .WithSummary("The caller's endpoints (an admin's: everyone's), in the order they were added.");
        var create = group.MapPost("", (HttpContext http, EndpointReader _) => CreateAsync(http, json)).RequireRole(Role.Publisher).WithName($"Create{names}")
            .WithSummary("Adds an endpoint owned by the caller; an active one is checked and its models discovered right away.");
        var get = group.MapGet("/{id}", async (string id, HttpContext http, EndpointReader reader) =>
            await reader.GetAsync(CallerOf(http), id, http.RequestAborted) is { } found ? json.Write(found) : throw EndpointErrors.NotFound(id))
            .WithName($"Get{names}").WithSummary("One endpoint; 404 for one the caller does not own.");
        var update = group.MapPut("/{id}", (string id, HttpContext http) => UpdateAsync(http, json, id)).RequireRole(Role.Publisher)
            .WithName($"Update{names}").WithSummary("Changes the given members; an empty API key clears the key.");
        group.MapDelete("/{id}", (string id, HttpContext http) => RemoveAsync(http, id)).RequireRole(Role.Publisher).WithName($"Remove{names}")
            .WithSummary("Removes the endpoint and erases its API key; its events stay in the audit trail.").Produces(StatusCodes.Status204NoContent);
        var models = group.MapGet("/{id}/models", async (string id, HttpContext http, EndpointReader reader) =>
            await reader.FindAsync(CallerOf(http), id, http.RequestAborted) is { } found ? json.Write(EndpointReader.Models(found)) : throw EndpointErrors.NotFound(id))
            .WithName($"Get{names}Models").WithSummary("The models the endpoint listed at its last discovery.");
        var refresh = group.MapPost("/{id}/models", async (string id, HttpContext http, EndpointChecker checker, EndpointReader reader) =>
            {
                await CheckAsync(http, checker, id);
                return json.Write(EndpointReader.Models((await reader.FindAsync(CallerOf(http), id, http.RequestAborted))!));
            })
            .RequireRole(Role.Publisher).WithName($"Refresh{names}Models").WithSummary("Discovers the endpoint's models now (rate limited per endpoint).");
        var health = group.MapGet("/{id}/health", async (string id, HttpContext http, EndpointReader reader) =>
            await reader.HealthAsync(CallerOf(http), id, http.RequestAborted) is { } found ? json.Write(found) : throw EndpointErrors.NotFound(id))
            .WithName($"Get{names}Health").WithSummary("The endpoint's last check.");
        var check = group.MapPost("/{id}/health", async (string id, HttpContext http, EndpointChecker checker) =>
            {
                var (endpoint, result, checkedAt) = await CheckAsync(http, checker, id);
                return json.Write(new HealthCheckResource(result.Status, result.ResponseTimeMs, result.Error, checkedAt,
                    result.Models?.Count ?? endpoint.Models.Count));
            })
            .RequireRole(Role.Publisher).WithName($"Check{names}Health").WithSummary("Checks the endpoint now (rate limited per endpoint).");
        var usage = group.MapGet("/{id}/usage", async (string id, HttpContext http, EndpointReader reader, EndpointUsage usage, TimeProvider clock) =>
            {
                var days = ReadQuery.Limit(http.Request.Query["days"], field: "days") is var d && d > 0 ? Math.Min(d, 366) : 30;
                return await reader.FindAsync(CallerOf(http), id, http.RequestAborted) is not null
                    ? json.Write(await usage.SummaryAsync(id, days, clock.GetUtcNow(), http.RequestAborted))
                    : throw EndpointErrors.NotFound(id);
            })
            .WithName($"Get{names}Usage").WithSummary("Uses per model, the last use, and a daily series over the last `days` (30) days.");
        if (v1)
        {
            create.Accepts<EndpointRequest>("application/json").Produces<EndpointResource>(StatusCodes.Status201Created);
            update.Accepts<EndpointRequest>("application/json").Produces<EndpointResource>();
            list.Produces<IReadOnlyList<EndpointResource>>();
            get.Produces<EndpointResource>();
            models.Produces<ModelsResource>();
            refresh.Produces<ModelsResource>();
            health.Produces<HealthCheckResource>();
            check.Produces<HealthCheckResource>();
            usage.Produces<UsageSummary>();
        }
    }

    private static void KeyHolder(Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder policy) =>
        policy.RequireRole(ApiKeyStore.Lower(Role.Reader));

    public static Caller CallerOf(HttpContext http) =>
        new(http.User.Identity?.Name ?? "", http.User.IsInRole(ApiKeyStore.Lower(Role.Admin)));

    private static async Task<IResult> CreateAsync(HttpContext http, EndpointJson json)
    {
        var request = json.Read<EndpointRequest>(http);
        if (json.Validate(http.RequestServices.GetRequiredService<CreateEndpointValidator>(), request) is { } invalid)
        {
            return invalid;
        }

        var id = Guid.CreateVersion7().ToString();
        var command = new RegisterEndpoint(id, request.Name!.Trim(), request.BaseUrl!, EndpointFields.Type(request.EndpointType)!.Value,
            request.ModelsPath, string.IsNullOrEmpty(request.ApiKey) ? null : new ApiKeyValue(request.ApiKey), request.IsActive ?? true, CallerOf(http))
        {
            Context = Context(http),
        };
        await InvokeAsync(http, command);
        var created = await http.RequestServices.GetRequiredService<EndpointReader>().GetAsync(command.Caller, id, http.RequestAborted);
        http.Response.Headers.Location = $"{http.Request.PathBase}{http.Request.Path}/{id}";
        return json.Write(created!, StatusCodes.Status201Created);
    }

    private static async Task<IResult> UpdateAsync(HttpContext http, EndpointJson json, string id)
    {
        var request = json.Read<EndpointRequest>(http);
        if (json.Validate(http.RequestServices.GetRequiredService<EndpointFieldsValidator>(), request) is { } invalid)
        {
            return invalid;
        }

        var caller = CallerOf(http);
        var command = new UpdateEndpoint(id, request.Name?.Trim(), request.BaseUrl, request.EndpointType is null ? null : EndpointFields.Type(request.EndpointType),
            request.ModelsPath, string.IsNullOrEmpty(request.ApiKey) ? null : new ApiKeyValue(request.ApiKey), request.ApiKey == "", request.IsActive, caller)
        {
            Context = Context(http),
        };
        var done = await InvokeAsync(http, command);
        return await Reply(http, json, caller, id, done);
    }

    private static async Task<IResult> SetActiveAsync(HttpContext http, string id, bool active)
    {
        var caller = CallerOf(http);
        var done = await InvokeAsync(http, new SetEndpointActive(id, active, caller) { Context = Context(http) });
        return await Reply(http, EndpointJson.SnakeCase, caller, id, done);
    }

    private static async Task<IResult> RemoveAsync(HttpContext http, string id)
    {
        await InvokeAsync(http, new RemoveEndpoint(id, CallerOf(http)) { Context = Context(http) });
        return TypedResults.NoContent();
    }

    private static async Task<IResult> Reply(HttpContext http, EndpointJson json, Caller caller, string id, EndpointDone done)
    {
        http.Response.Headers.ETag = Preconditions.ETag(done.Version);
        var resource = await http.RequestServices.GetRequiredService<EndpointReader>().GetAsync(caller, id, http.RequestAborted);
        return json.Write(resource ?? throw EndpointErrors.NotFound(id));
    }

    private static async Task<(EndpointState Endpoint, ProbeResult Result, DateTimeOffset CheckedAt)> CheckAsync(HttpContext http, EndpointChecker checker, string id)
    {
        try
        {
            return await checker.CheckNowAsync(CallerOf(http), id, Context(http), http.RequestAborted);
        }
        catch (TooManyChecksException e)
        {
            throw new DomainException(DomainErrorKind.TooManyRequests, "too-many-checks", e.Message) { RetryAfter = e.RetryAfter };
        }
    }

    private static async Task<IResult> HistoryAsync(string id, HttpContext http, EndpointReader reader)
    {
        var limit = ReadQuery.Limit(http.Request.Query["limit"]);
        var cursor = http.Request.Query["cursor"].ToString();
        DateTimeOffset? before = cursor.Length == 0 ? null
            : DateTimeOffset.TryParse(cursor, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at
            : throw DomainErrors.Invalid("cursor", "invalid-cursor", "The cursor is not one this route gave.");
        return await reader.HistoryAsync(CallerOf(http), id, limit, before, http.RequestAborted) is { } page
            ? EndpointJson.SnakeCase.Write(page)
            : throw EndpointErrors.NotFound(id);
    }

    private static async Task<IResult> RecordUsageAsync(string id, HttpContext http, EndpointReader reader, EndpointUsage usage, FluentValidation.IValidator<UsageRequest> validator,
        TimeProvider clock)
    {
        var request = EndpointJson.SnakeCase.Read<UsageRequest>(http);
        if (EndpointJson.SnakeCase.Validate(validator, request) is { } invalid)
        {
            return invalid;
        }

        if (await reader.FindAsync(CallerOf(http), id, http.RequestAborted) is null)
        {
            throw EndpointErrors.NotFound(id);
        }

        await usage.RecordAsync(id, new UsageRecord(request.Model!, request.Tokens, request.LatencyMs), clock.GetUtcNow(), http.RequestAborted);
        return TypedResults.NoContent();
    }

    private static CommandContext Context(HttpContext http) =>
        RequestContext.Get(http).Context(http) with { IfMatch = Preconditions.IfMatch(http.Request) };

    /// <summary>The command through Wolverine; two endpoints of one owner racing for a name meet the documents' unique index (409).</summary>
    private static async Task<EndpointDone> InvokeAsync(HttpContext http, IEndpointCommand command)
    {
        try
        {
            return await http.RequestServices.GetRequiredService<IMessageBus>().InvokeAsync<EndpointDone>(command, http.RequestAborted);
        }
        catch (Exception e) when (IsNameTaken(e))
        {
            throw EndpointErrors.DuplicateName(command is RegisterEndpoint r ? r.Name : ((UpdateEndpoint)command).Name!);
        }
    }

    private static bool IsNameTaken(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } pg && pg.ConstraintName?.Contains("owner_name", StringComparison.Ordinal) == true)
            {
                return true;
            }
        }

        return false;
    }
}
