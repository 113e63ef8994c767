using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using JasperFx;
using Marten.Exceptions;
using Npgsql;

namespace ModelRegistry.Common;

/// <summary>
/// Every error leaves as application/problem+json (RFC 9457) with a stable <c>type</c>; this is the one place that maps
/// exceptions and bare status codes to problems.
/// </summary>
internal static class Problems
{
    public const string TypeBase = "https://modelregistry.dev/problems/";

    public static string Type(string code) => TypeBase + code;

    public static string Title(string code) =>
        code.Length == 0 ? "Error" : char.ToUpperInvariant(code[0]) + code[1..].Replace('-', ' ');

    public static ProblemDetails Create(int status, string code, string detail, IReadOnlyDictionary<string, string[]>? errors = null)
    {
        var problem = new ProblemDetails { Status = status, Type = Type(code), Title = Title(code), Detail = detail };
        if (errors is { Count: > 0 })
        {
            problem.Extensions["errors"] = errors;
        }

        return problem;
    }

    public static IResult Result(int status, string code, string detail, IReadOnlyDictionary<string, string[]>? errors = null) =>
        TypedResults.Problem(Create(status, code, detail, errors));

    public static IServiceCollection AddProblems(this IServiceCollection services)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            if (problem.Type is null || !problem.Type.StartsWith(TypeBase, StringComparison.Ordinal))
            {
                var status = problem.Status ?? context.HttpContext.Response.StatusCode;
                var code = CodeForStatus(status);
                problem.Type = Type(code);
                problem.Title = Title(code);
                problem.Detail ??= DetailForStatus(status);
            }

            if (RequestContext.Find(context.HttpContext) is { } request)
            {
                problem.Extensions["correlation_id"] = request.CorrelationId;
            }
        });
        services.AddExceptionHandler<ProblemExceptionHandler>();
        return services;
    }

    private static string? DetailForStatus(int status) => status switch
    {
        404 => "There is nothing at this URL.",
        405 => "This URL does not take this method.",
        415 => "This route takes a JSON body: send Content-Type: application/json.",
        _ => null,
    };

    private static string CodeForStatus(int status) => status switch
    {
        400 => "bad-request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not-found",
        405 => "method-not-allowed",
        406 => "not-acceptable",
        409 => "conflict",
        412 => "precondition-failed",
        413 => "body-too-large",
        415 => "unsupported-media-type",
        422 => "unprocessable",
        423 => "locked",
        429 => "rate-limited",
        >= 500 => "internal",
        _ => "http-" + status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

internal sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            return true;
        }

        var problem = Map(httpContext, exception);
        if (problem.Status >= 500)
        {
            LogUnhandled(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
        }

        httpContext.Response.StatusCode = problem.Status ?? 500;
        if (exception is DomainException { RetryAfter: { } retryAfter })
        {
            httpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            // A restart or failover is over in seconds: tell clients when to try again rather than leave them to guess.
            httpContext.Response.Headers.RetryAfter = "1";
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    private static ProblemDetails Map(HttpContext http, Exception exception) => exception switch
    {
        DomainException e => Problems.Create(e.Status, e.Code, e.Detail, e.Errors),
        ConcurrencyException or ExistingStreamIdCollisionException when http.Request.Headers.IfMatch.Count > 0 => Problems.Create(412,
            "precondition-failed", "The model changed after the version If-Match named; read it again."),
        ConcurrencyException or ExistingStreamIdCollisionException => Problems.Create(409, "concurrency-conflict",
            "The model kept changing while this command was retried; send it again."),
        BadHttpRequestException { StatusCode: 413 } => Problems.Create(413, "body-too-large", "The request body is larger than this route accepts."),
        BadHttpRequestException { StatusCode: 415 } => Problems.Create(415, "unsupported-media-type",
            "This route takes a JSON body: send Content-Type: application/json."),
        BadHttpRequestException { InnerException: JsonException json } => InvalidJson(json),
        BadHttpRequestException e when e.Message.Contains("body", StringComparison.OrdinalIgnoreCase) =>
            Problems.Create(400, "body-required", "This route takes a JSON object as its body."),
        BadHttpRequestException e => Problems.Create(e.StatusCode is >= 400 and < 500 ? e.StatusCode : 400, "bad-request", "The request could not be read."),
        _ when IsDatabaseUnavailable(exception) => Problems.Create(503, "database-unavailable",
            "The database cannot be reached just now (restarting or failing over); send the request again shortly."),
        _ => Problems.Create(500, "internal", "Something went wrong on our side; the correlation id identifies it in the logs."),
    };

    // The connection broke or the server is shutting down or starting: nothing about the request itself. Marten reports such
    // failures wrapped in its own exceptions, so the whole chain is looked at.
    private static bool IsDatabaseUnavailable(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is NpgsqlException npgsql && IsDatabaseUnavailable(npgsql))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsDatabaseUnavailable(NpgsqlException e) => e is PostgresException pg
        ? pg.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
            || pg.SqlState.StartsWith("08", StringComparison.Ordinal)
        : e.IsTransient;

    private static ProblemDetails InvalidJson(JsonException json)
    {
        var field = JsonField(json.Path);
        var unknownMember = json.Message.Contains("could not be mapped", StringComparison.Ordinal);
        var detail = unknownMember
            ? $"'{field}' is not a field of this request."
            : field.Length > 0
                ? $"'{field}' has a value of the wrong type or shape."
                : $"The body is not valid JSON (line {json.LineNumber + 1}, byte {json.BytePositionInLine + 1}).";
        var errors = field.Length > 0 ? new Dictionary<string, string[]> { [field] = [detail] } : null;
        return Problems.Create(400, unknownMember ? "unknown-field" : "invalid-json", detail, errors);
    }

    private static string JsonField(string? path) =>
        path is null or "$" ? "" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception for {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, PathString path);
}
