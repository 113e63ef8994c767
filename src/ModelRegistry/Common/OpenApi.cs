using System.Text.RegularExpressions;
using FluentValidation;
using FluentValidation.Validators;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace ModelRegistry.Common;

/// <summary>
/// <c>/openapi/v1.json</c> as client generators and linters need it, filled in here once rather than on every endpoint:
/// the bearer scheme and who may call what, the path parameters that <see cref="ModelName"/> binds by hand, the problems
/// every route can answer, and request bodies whose required fields are those their validator insists on.
/// </summary>
internal static partial class OpenApi
{
    public const string DocumentPath = "/openapi/v1.json";

    private const string BearerScheme = "bearer";
    private const string ProblemSchema = "ProblemDetails";
    private const string ValidationProblemSchema = "HttpValidationProblemDetails";
    private const string ProblemJson = "application/problem+json";

    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Catalog"] = "Models, their versions, stages and production pointer, and the integrity of their files.",
        ["Audit"] = "Every event across models.",
        ["Downloads"] = "Durable downloads of remote versions, and the storage root's scan and cleanup.",
        ["Access"] = "API keys and their roles.",
        ["Admin"] = "Projections: their state, and rebuilds.",
        ["Model catalog (seed 001)"] = "The earlier download API, kept for its clients.",
        ["Registry v1 (seed 002)"] = "The JSON-file registry's API, kept unchanged for its clients.",
    };

    public static IServiceCollection AddRegistryOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                DescribeDocument(document);
                return Task.CompletedTask;
            });
            o.AddOperationTransformer((operation, context, _) =>
            {
                DescribeOperation(operation, context);
                return Task.CompletedTask;
            });
            o.AddSchemaTransformer((schema, context, _) =>
            {
                RequireWhatTheValidatorRequires(schema, context);
                return Task.CompletedTask;
            });
        });

    /// <summary>Declares query parameters that the handler reads from the query string itself (to refuse a value given twice, say).</summary>
    public static TBuilder WithQuery<TBuilder>(this TBuilder builder, params QueryParameter[] parameters) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new QueryParameters(parameters));

    private static void DescribeDocument(OpenApiDocument document)
    {
        document.Info.Title = "ModelRegistry";
        document.Info.Description = "Models, their versions and the production pointer, as events. Errors are application/problem+json "
            + "(RFC 9457) with a stable `type`.";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An API key: `Authorization: Bearer <key>`.",
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ProblemSchema] = Problem(withErrors: false);
        document.Components.Schemas[ValidationProblemSchema] = Problem(withErrors: true);
        document.Security = [KeyRequired(document)];
        foreach (var tag in document.Tags ?? new HashSet<OpenApiTag>())
        {
            if (tag.Name is { } name && TagDescriptions.TryGetValue(name, out var description))
            {
                tag.Description = description;
            }
        }

        // The server is this request's own origin; a trailing slash would double the one every path starts with.
        foreach (var server in document.Servers ?? [])
        {
            server.Url = server.Url?.TrimEnd('/') is { Length: > 0 } url ? url : "/";
        }
    }

    private static OpenApiSchema Problem(bool withErrors)
    {
        var text = new OpenApiSchema { Type = JsonSchemaType.String };
        var properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri", Description = "Stable: one URI per kind of problem." },
            ["title"] = text,
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
            ["detail"] = text,
            ["instance"] = text,
            ["correlation_id"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Finds the request in the logs." },
        };
        if (withErrors)
        {
            properties["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "Messages per field, by the field's JSON path.",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = text },
            };
        }

        return new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "type", "title", "status" },
            Properties = properties,
        };
    }

    private static void DescribeOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        var description = context.Description;
        var metadata = description.ActionDescriptor.EndpointMetadata;
        var template = "/" + (description.RelativePath ?? "");
        operation.OperationId ??= DerivedOperationId(description.HttpMethod ?? "", template);
        operation.Parameters ??= [];
        foreach (Match match in PathParameter().Matches(template))
        {
            var name = match.Groups[1].Value;
            if (!operation.Parameters.Any(p => p.In == ParameterLocation.Path && p.Name == name))
            {
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = name,
                    In = ParameterLocation.Path,
                    Required = true,
                    Description = PathParameterDescription(name),
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                });
            }
        }

        foreach (var query in metadata.OfType<QueryParameters>().SelectMany(q => q.Parameters))
        {
            if (!operation.Parameters.Any(p => p.In == ParameterLocation.Query && p.Name == query.Name))
            {
                operation.Parameters.Add(query.ToOpenApi());
            }
        }

        var policies = metadata.OfType<IAuthorizeData>().Select(a => a.Policy).OfType<string>().Distinct().ToList();
        var anonymous = metadata.OfType<IAllowAnonymous>().Any();
        operation.Security = anonymous ? [] : policies.Count > 0 ? [KeyRequired(context.Document)] : [KeyRequired(context.Document), new OpenApiSecurityRequirement()];
        if (policies.Count > 0)
        {
            operation.Description = Sentences(operation.Description,
                $"Needs an API key with the {string.Join(", ", policies.Select(p => p[(p.IndexOf(':', StringComparison.Ordinal) + 1)..]))} role.");
        }

        operation.Responses ??= [];
        var document = context.Document;
        if (operation.Parameters.Count > 0 || operation.RequestBody is not null)
        {
            AddProblem(operation, "400", "The request has an invalid field, parameter or body.", ValidationProblemSchema, document);
        }

        if (!anonymous)
        {
            AddProblem(operation, "401", "The API key is missing (where a key is needed), unknown or revoked.", ProblemSchema, document);
        }

        if (policies.Count > 0)
        {
            AddProblem(operation, "403", "The API key's role may not do this.", ProblemSchema, document);
        }

        if (operation.Parameters.Any(p => p.In == ParameterLocation.Path))
        {
            AddProblem(operation, "404", "Nothing has this name, version or id.", ProblemSchema, document);
        }

        if (!HttpMethods.IsGet(description.HttpMethod ?? "GET"))
        {
            AddProblem(operation, "429", "This key sent more changes than it may; see Retry-After.", ProblemSchema, document);
        }

        AddProblem(operation, "default", "Any other problem, such as a conflict (409), a failed If-Match (412), a body too large (413), "
            + "the database unavailable (503) or a failure on our side (500).", ProblemSchema, document);
    }

    private static OpenApiSecurityRequirement KeyRequired(OpenApiDocument? document) =>
        new() { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] };

    private static void AddProblem(OpenApiOperation operation, string status, string description, string schema, OpenApiDocument? document) =>
        operation.Responses!.TryAdd(status, new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [ProblemJson] = new() { Schema = new OpenApiSchemaReference(schema, document) },
            },
        });

    private static string PathParameterDescription(string name) => name switch
    {
        "name" => "The model's name, or its part after the namespace; 'namespace%2Fname' names a namespaced model in one segment.",
        "namespace" => "The namespace of a 'namespace/name' model.",
        _ => "",
    };

    /// <summary>For an endpoint without a name: <c>GET /api/v1/models/{name}/history</c> is <c>get_models_name_history</c>.</summary>
    private static string DerivedOperationId(string method, string template) =>
        string.Join('_', template.Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Where(segment => segment is not ("api" or "v1"))
            .Select(segment => segment.Trim('{', '}'))
            .Prepend(method.ToLowerInvariant()));

    private static string Sentences(string? first, string second) => string.IsNullOrEmpty(first) ? second : $"{first} {second}";

    /// <summary>
    /// The generator takes every constructor parameter of a record as required, but a request field is required only when
    /// its validator refuses it absent (an unconditional NotNull or NotEmpty); everything else may be left out.
    /// </summary>
    private static void RequireWhatTheValidatorRequires(OpenApiSchema schema, OpenApiSchemaTransformerContext context)
    {
        var type = context.JsonTypeInfo.Type;
        if (schema.Properties is null
            || context.ApplicationServices.GetService(typeof(IValidator<>).MakeGenericType(type)) is not IValidator validator)
        {
            return;
        }

        var descriptor = validator.CreateDescriptor();
        var required = context.JsonTypeInfo.Properties
            .Where(p => p.AttributeProvider is System.Reflection.MemberInfo member && descriptor.GetRulesForMember(member.Name)
                .SelectMany(rule => rule.Components)
                .Any(c => !c.HasCondition && !c.HasAsyncCondition && c.Validator is INotNullValidator or INotEmptyValidator))
            .Select(p => p.Name);
        schema.Required = new HashSet<string>(required, StringComparer.Ordinal);
    }

    [GeneratedRegex(@"\{([^}:?*=]+)")]
    private static partial Regex PathParameter();

    private sealed record QueryParameters(IReadOnlyList<QueryParameter> Parameters);
}

/// <summary>A query parameter an endpoint reads by hand, for the OpenAPI document.</summary>
internal sealed record QueryParameter(string Name, string Description, JsonSchemaType Type, string? Format = null, bool Repeatable = false, bool Required = false)
{
    public static QueryParameter Text(string name, string description) => new(name, description, JsonSchemaType.String);

    public static QueryParameter Repeated(string name, string description) => new(name, description, JsonSchemaType.String, Repeatable: true);

    public static QueryParameter Integer(string name, string description) => new(name, description, JsonSchemaType.Integer, "int32");

    public static QueryParameter Timestamp(string name, string description) => new(name, description, JsonSchemaType.String, "date-time");

    public OpenApiParameter ToOpenApi()
    {
        var value = new OpenApiSchema { Type = Type, Format = Format };
        return new OpenApiParameter
        {
            Name = Name,
            In = ParameterLocation.Query,
            Description = Description,
            Required = Required,
            Schema = Repeatable ? new OpenApiSchema { Type = JsonSchemaType.Array, Items = value } : value,
        };
    }
}
