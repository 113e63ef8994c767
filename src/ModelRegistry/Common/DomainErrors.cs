using System.Collections.Immutable;

namespace ModelRegistry.Common;

internal enum DomainErrorKind
{
    Invalid = 400,
    NotFound = 404,
    Conflict = 409,
    PreconditionFailed = 412,
    RuleViolation = 422,
    Locked = 423,
    TooManyRequests = 429,
}

/// <summary>A refusal of a command; <see cref="Code"/> is a stable slug the HTTP layer turns into a problem type.</summary>
internal sealed class DomainException(
    DomainErrorKind kind,
    string code,
    string detail,
    IReadOnlyDictionary<string, string[]>? errors = null) : Exception(detail)
{
    public DomainErrorKind Kind { get; } = kind;

    public string Code { get; } = code;

    public string Detail { get; } = detail;

    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors ?? ImmutableDictionary<string, string[]>.Empty;

    public int Status => (int)Kind;

    /// <summary>When the refused request may be sent again (a Retry-After header), for a refusal of the moment.</summary>
    public TimeSpan? RetryAfter { get; init; }
}

internal static class DomainErrors
{
    public static DomainException Invalid(string field, string code, string detail) =>
        new(DomainErrorKind.Invalid, code, detail, new Dictionary<string, string[]> { [field] = [detail] });

    public static DomainException NotFound(string code, string detail) => new(DomainErrorKind.NotFound, code, detail);

    public static DomainException Conflict(string code, string detail) => new(DomainErrorKind.Conflict, code, detail);

    public static DomainException PreconditionFailed(string code, string detail) => new(DomainErrorKind.PreconditionFailed, code, detail);

    public static DomainException RuleViolation(string code, string detail) => new(DomainErrorKind.RuleViolation, code, detail);

    public static DomainException Locked(string code, string detail) => new(DomainErrorKind.Locked, code, detail);
}
