using System.Text.Json;
using System.Text.Json.Serialization;
using FluentValidation;
using ModelRegistry.Common;
using ModelRegistry.Endpoints.Probing;

namespace ModelRegistry.Endpoints;

/// <summary>
/// The seed's <c>LocalModelRequest</c> (camelCase there, snake_case under <c>/api/v1</c>). On update a missing member stays as it is
/// and an empty <c>apiKey</c> clears the key. <c>availableModels</c>, which the seed's migration sends, is accepted and ignored:
/// discovery decides what an endpoint serves.
/// </summary>
internal sealed record EndpointRequest(
    string? Name,
    string? BaseUrl,
    string? ApiKey,
    string? EndpointType,
    string? ModelsPath,
    bool? IsActive,
    IReadOnlyList<string>? AvailableModels);

/// <summary>A use of an endpoint, reported by a gateway or client.</summary>
internal sealed record UsageRequest(string? Model, long? Tokens, int? LatencyMs);

/// <summary>The two dialects of the endpoint routes: the seed's camelCase and v1's snake_case.</summary>
internal sealed class EndpointJson
{
    private EndpointJson(JsonSerializerOptions options, JsonNamingPolicy names)
    {
        Options = options;
        Names = names;
    }

    public JsonSerializerOptions Options { get; }

    public JsonNamingPolicy Names { get; }

    public static EndpointJson SnakeCase { get; } = Create(JsonNamingPolicy.SnakeCaseLower);

    public static EndpointJson CamelCase { get; } = Create(JsonNamingPolicy.CamelCase);

    private static EndpointJson Create(JsonNamingPolicy names)
    {
        var options = new JsonSerializerOptions();
        HttpJson.Configure(options);
        options.PropertyNamingPolicy = names;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        options.MakeReadOnly(populateMissingResolver: true);
        return new EndpointJson(options, names);
    }

    public T Read<T>(HttpContext http) where T : class
    {
        var body = RequestContext.Get(http).Body;
        if (body.Length == 0)
        {
            throw new BadHttpRequestException("A request body is required.", StatusCodes.Status400BadRequest);
        }

        try
        {
            return JsonSerializer.Deserialize<T>(body, Options)
                ?? throw new BadHttpRequestException("A request body is required.", StatusCodes.Status400BadRequest);
        }
        catch (JsonException json)
        {
            throw new BadHttpRequestException("The body could not be read.", StatusCodes.Status400BadRequest, json);
        }
    }

    public IResult Write(object value, int status = StatusCodes.Status200OK) => TypedResults.Json(value, Options, statusCode: status);

    /// <summary>400 with the failures under the field names of this dialect; null when the request is valid.</summary>
    public IResult? Validate<T>(IValidator<T> validator, T request)
    {
        var result = validator.Validate(request);
        if (result.IsValid)
        {
            return null;
        }

        var errors = result.Errors
            .GroupBy(f => Names.ConvertName(f.PropertyName))
            .ToDictionary(g => g.Key, g => g.Select(f => f.ErrorMessage).Distinct().ToArray());
        return Problems.Result(400, "validation", "The request has invalid fields; see errors.", errors);
    }
}

internal static class EndpointFields
{
    public const int MaxName = 100;
    public const int MaxUrl = 2048;
    public const int MaxApiKey = 4096;
    public const int MaxModelsPath = 512;
    public const int MaxModel = 512;

    public static EndpointType? Type(string? raw) => raw switch
    {
        null or "ollama" => Endpoints.EndpointType.Ollama,
        "openai-compatible" => Endpoints.EndpointType.OpenAiCompatible,
        "custom" => Endpoints.EndpointType.Custom,
        _ => null,
    };

    public static bool IsPrintable(string value) => !value.Any(char.IsControl);
}

internal sealed class CreateEndpointValidator : AbstractValidator<EndpointRequest>
{
    public CreateEndpointValidator(EndpointEgress egress)
    {
        RuleFor(r => r.Name).NotEmpty().WithMessage("An endpoint needs a name.");
        RuleFor(r => r.BaseUrl).NotEmpty().WithMessage("An endpoint needs a base URL.");
        Include(new EndpointFieldsValidator(egress));
    }
}

/// <summary>The rules of every given member, on create and update alike.</summary>
internal sealed class EndpointFieldsValidator : AbstractValidator<EndpointRequest>
{
    public EndpointFieldsValidator(EndpointEgress egress)
    {
        RuleFor(r => r.Name!).MaximumLength(EndpointFields.MaxName).Must(n => n.Trim().Length > 0 && EndpointFields.IsPrintable(n))
            .WithMessage($"A name is 1 to {EndpointFields.MaxName} printable characters.").When(r => r.Name is not null);
        RuleFor(r => r.BaseUrl!).Custom((url, context) =>
        {
            if (url.Length > EndpointFields.MaxUrl)
            {
                context.AddFailure($"A base URL is at most {EndpointFields.MaxUrl} characters.");
            }
            else if (egress.CheckUrl(url) is { } problem)
            {
                context.AddFailure(problem);
            }
        }).When(r => r.BaseUrl is not null);
        RuleFor(r => r.ApiKey!).MaximumLength(EndpointFields.MaxApiKey).Must(EndpointFields.IsPrintable)
            .WithMessage($"An API key is at most {EndpointFields.MaxApiKey} printable characters.").When(r => r.ApiKey is not null);
        RuleFor(r => r.EndpointType).Must(t => EndpointFields.Type(t) is not null)
            .WithMessage("The endpoint type is one of ollama, openai-compatible, custom.");
        RuleFor(r => r.ModelsPath!).MaximumLength(EndpointFields.MaxModelsPath)
            .Must(p => p.StartsWith('/') && !p.StartsWith("//", StringComparison.Ordinal) && EndpointFields.IsPrintable(p) && !p.Contains('#') && !p.Contains('\\'))
            .WithMessage("A models path starts with one '/' and is a path on the endpoint's host.").When(r => r.ModelsPath is not null);
    }
}

internal sealed class UsageRequestValidator : AbstractValidator<UsageRequest>
{
    public UsageRequestValidator()
    {
        RuleFor(r => r.Model).NotEmpty().MaximumLength(EndpointFields.MaxModel).Must(m => m is null || EndpointFields.IsPrintable(m))
            .WithMessage($"A use names its model, at most {EndpointFields.MaxModel} printable characters.");
        RuleFor(r => r.Tokens).GreaterThanOrEqualTo(0).LessThanOrEqualTo(1_000_000_000).When(r => r.Tokens is not null);
        RuleFor(r => r.LatencyMs).GreaterThanOrEqualTo(0).LessThanOrEqualTo(86_400_000).When(r => r.LatencyMs is not null);
    }
}
