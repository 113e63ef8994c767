using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Reading;

/// <summary>Query values of the read routes: parsed strictly, refused with a field error.</summary>
internal static partial class ReadQuery
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    [GeneratedRegex(@"\A\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})\z", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();

    /// <summary>Absent means the default; anything but an integer from <paramref name="min"/> to 200 is refused.</summary>
    public static int Limit(string? raw, int min = 1, string field = "limit") =>
        raw is null ? DefaultLimit
        : int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= min && n <= MaxLimit ? n
        : throw DomainErrors.Invalid(field, $"invalid-{field.Replace('_', '-')}", $"The {field} is an integer from {min} to {MaxLimit}.");

    /// <summary>An RFC 3339 timestamp; a '+' that the query string turned into a space is taken back.</summary>
    public static DateTimeOffset? Timestamp(string? raw, string field)
    {
        if (raw is null)
        {
            return null;
        }

        var text = raw.Length > 6 && raw[^6] == ' ' ? string.Concat(raw.AsSpan(0, raw.Length - 6), "+", raw.AsSpan(raw.Length - 5)) : raw;
        return Rfc3339().IsMatch(text)
               && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : throw DomainErrors.Invalid(field, $"invalid-{field.Replace('_', '-')}",
                $"The {field} is an RFC 3339 timestamp, e.g. 2025-06-01T12:00:00Z.");
    }

    public static Stage? Stage(string? raw) => Enum<Stage>(raw, "stage");

    public static ArtifactStatus? Status(string? raw) => Enum<ArtifactStatus>(raw, "status");

    private static T? Enum<T>(string? raw, string field) where T : struct, Enum =>
        raw is null ? null
        : CatalogRules.IsOneOf<T>(raw) ? CatalogResources.Parse<T>(raw)
        : throw DomainErrors.Invalid(field, $"invalid-{field}", $"The {field} is one of: {CatalogRules.Names<T>()}.");

    /// <summary>An opaque cursor: base64url of a kind letter and the last sort key of the previous page.</summary>
    public static string Cursor(char kind, string lastKey) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{kind}:{lastKey}"));

    public static string Cursor(char kind, long lastKey) => Cursor(kind, lastKey.ToString(CultureInfo.InvariantCulture));

    public static string? CursorText(string? raw, char kind, string field = "cursor")
    {
        if (raw is null)
        {
            return null;
        }

        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(raw));
            if (text.Length >= 2 && text[0] == kind && text[1] == ':')
            {
                return text[2..];
            }
        }
        catch (FormatException)
        {
        }

        throw InvalidCursor(field);
    }

    public static long? CursorNumber(string? raw, char kind, string field = "cursor") =>
        CursorText(raw, kind, field) is not { } text ? null
        : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
        : throw InvalidCursor(field);

    private static DomainException InvalidCursor(string field) =>
        DomainErrors.Invalid(field, $"invalid-{field.Replace('_', '-')}", $"The {field} is not one this list handed out.");
}
