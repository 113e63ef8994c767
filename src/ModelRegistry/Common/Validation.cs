using System.Reflection;
using System.Text.Json;
using FluentValidation;
using FluentValidation.Results;

namespace ModelRegistry.Common;

/// <summary>
/// FluentValidation without its DI package: every <see cref="AbstractValidator{T}"/> in the assembly is an
/// <see cref="IValidator{T}"/>, and an endpoint filter runs the validators of an endpoint's parameters.
/// </summary>
internal static class Validation
{
    public static IServiceCollection AddValidators(this IServiceCollection services, Assembly assembly)
    {
        foreach (var type in assembly.GetTypes().Where(t => t is { IsAbstract: false, IsGenericTypeDefinition: false }))
        {
            for (var baseType = type.BaseType; baseType is not null; baseType = baseType.BaseType)
            {
                if (baseType.IsGenericType && baseType.GetGenericTypeDefinition() == typeof(AbstractValidator<>))
                {
                    services.AddSingleton(typeof(IValidator<>).MakeGenericType(baseType.GetGenericArguments()), type);
                    break;
                }
            }
        }

        return services;
    }

    /// <summary>
    /// Validates every argument whose type has a registered validator; 400 with field errors when one fails. The rules are all
    /// synchronous, so they run synchronously (FluentValidation refuses that should an asynchronous rule ever appear).
    /// </summary>
    public static TBuilder Validated<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilterFactory((factory, next) =>
        {
            var validated = factory.MethodInfo.GetParameters()
                .Select((p, index) => (Index: index, Validator: factory.ApplicationServices.GetService(typeof(IValidator<>).MakeGenericType(p.ParameterType)) as IValidator))
                .Where(p => p.Validator is not null)
                .ToArray();
            if (validated.Length == 0)
            {
                return next;
            }

            return context =>
            {
                foreach (var (index, validator) in validated)
                {
                    if (context.Arguments[index] is { } argument && validator!.Validate(new ValidationContext<object>(argument)) is { IsValid: false } result)
                    {
                        return ValueTask.FromResult<object?>(Problem(result.Errors));
                    }
                }

                return next(context);
            };
        });

    public static IResult Problem(IEnumerable<ValidationFailure> failures)
    {
        var errors = failures
            .GroupBy(f => FieldPath(f.PropertyName))
            .ToDictionary(g => g.Key, g => g.Select(f => f.ErrorMessage).Distinct().ToArray());
        return Problems.Result(400, "validation", "The request has invalid fields; see errors.", errors);
    }

    /// <summary><c>Source.Uri</c> → <c>source.uri</c>, <c>Items[2].ContextLength</c> → <c>items[2].context_length</c>.</summary>
    public static string FieldPath(string propertyPath) =>
        string.Join('.', propertyPath.Split('.').Select(segment =>
        {
            var bracket = segment.IndexOf('[', StringComparison.Ordinal);
            return bracket < 0
                ? JsonNamingPolicy.SnakeCaseLower.ConvertName(segment)
                : JsonNamingPolicy.SnakeCaseLower.ConvertName(segment[..bracket]) + segment[bracket..];
        }));
}
