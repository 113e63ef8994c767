using System.Text.RegularExpressions;
using FluentValidation;

namespace ModelRegistry.Catalog;

internal static partial class CatalogRules
{
    public const int MaxDescriptionLength = 4000;
    public const int MaxReasonLength = 1000;
    public const int MaxTags = 64;

    private static readonly string[] RouteWords = ["versions", "production", "history", "rollback", "lock", "unlock", "by-path"];

    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._-]{0,95}\z", RegexOptions.CultureInvariant)]
    public static partial Regex NamePart();

    [GeneratedRegex(@"\A[0-9a-fA-F]{64}\z", RegexOptions.CultureInvariant)]
    public static partial Regex Sha256Hex();

    public const string RepoFileRule =
        "A file is a relative path inside the repository: segments of letters, digits, '.', '_', '+', '=' and '-', none starting with '.'.";

    [GeneratedRegex(@"\A[A-Za-z0-9_][A-Za-z0-9._+=-]{0,254}\z", RegexOptions.CultureInvariant)]
    private static partial Regex RepoFileSegment();

    /// <summary>
    /// A file inside a hub repository, whether a user named it or the hub listed it: segments of letters, digits and
    /// '._+=-', none starting with '.' — no traversal, no encodings, no hidden files, and nothing the hub's URL or the
    /// local file name could read differently.
    /// </summary>
    public static bool IsRepoFile(string? file) =>
        file is { Length: > 0 and <= 1024 } && file.Split('/').All(RepoFileSegment().IsMatch);

    public static bool IsModelName(string? name) =>
        name?.Split('/') is { Length: 1 or 2 } parts
        && parts.All(NamePart().IsMatch)
        && !RouteWords.Contains(parts[^1], StringComparer.OrdinalIgnoreCase);

    public static IRuleBuilderOptions<T, string?> ModelName<T>(this IRuleBuilder<T, string?> rule) =>
        rule.NotEmpty().Must(IsModelName).WithMessage(
            "A name is 'name' or 'namespace/name'; each part starts with a letter or digit, then up to 95 of letters, digits, '.', '_' or '-'; "
            + $"the last part may not be one of: {string.Join(", ", RouteWords)}.");

    public static IRuleBuilderOptions<T, string?> Description<T>(this IRuleBuilder<T, string?> rule) =>
        rule.MaximumLength(MaxDescriptionLength);

    public static IRuleBuilderOptions<T, string?> Reason<T>(this IRuleBuilder<T, string?> rule) =>
        rule.MaximumLength(MaxReasonLength);

    public static IRuleBuilderOptions<T, string?> Sha256<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(s => s is null || Sha256Hex().IsMatch(s)).WithMessage("A SHA-256 is 64 hexadecimal digits.");

    public static IRuleBuilderOptions<T, IReadOnlyDictionary<string, string>?> Tags<T>(
        this IRuleBuilder<T, IReadOnlyDictionary<string, string>?> rule) =>
        rule.Must(tags => tags is null || (tags.Count <= MaxTags && tags.All(t =>
                t.Key.Length is > 0 and <= 128 && !t.Key.Contains(':', StringComparison.Ordinal) && t.Value is { Length: <= 512 })))
            .WithMessage($"At most {MaxTags} tags; keys are 1 to 128 characters without ':', values at most 512 characters and not null.");

    public static bool IsOneOf<T>(string? value) where T : struct, Enum =>
        Enum.GetValues<T>().Any(v => string.Equals(v.ToString(), value, StringComparison.OrdinalIgnoreCase));

    public static T Parse<T>(string value) where T : struct, Enum =>
        Enum.GetValues<T>().First(v => string.Equals(v.ToString(), value, StringComparison.OrdinalIgnoreCase));

    public static string Names<T>() where T : struct, Enum =>
        string.Join(", ", Enum.GetValues<T>().Select(v => v.ToString().ToLowerInvariant()));
}

internal sealed record ReasonBody(string? Reason);

internal sealed class ReasonBodyValidator : AbstractValidator<ReasonBody>
{
    public ReasonBodyValidator() => RuleFor(x => x.Reason).Reason();
}

internal sealed record RequiredReasonBody(string? Reason);

internal sealed class RequiredReasonBodyValidator : AbstractValidator<RequiredReasonBody>
{
    public RequiredReasonBodyValidator() => RuleFor(x => x.Reason).NotEmpty().Reason();
}
